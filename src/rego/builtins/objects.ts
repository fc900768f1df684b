// Builtin family "objects": not written yet.
export {};
