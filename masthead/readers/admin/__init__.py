"""The editors' tools for readers' data rights: find a person by address across every app,
export or erase on their behalf, and the register of requests."""
