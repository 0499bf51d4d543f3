// Filled in by the nn module.
export {};
