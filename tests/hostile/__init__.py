"""The hostile-input corpus: malformed and adversarial inputs, each with its expected clean error."""
