// Builtin family "glob": not written yet.
export {};
