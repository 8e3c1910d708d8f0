"""The internal quality system (ВСЗЯО): the configuration of one institution."""
