"""exactrelu.io.onnx."""
