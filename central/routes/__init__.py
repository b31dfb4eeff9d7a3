"""HTTP routes: parse, call the store in one unit of work, answer. Errors go to `central.http`."""
