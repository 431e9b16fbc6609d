"""The chat example: rooms, nicknames and Direction A room joining on pursocket."""
