// Builtin family "regex": not written yet.
export {};
