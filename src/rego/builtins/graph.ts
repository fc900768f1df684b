// Builtin family "graph": not written yet.
export {};
