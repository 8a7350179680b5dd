// The public types: the worker's API types (workers/api.ts, which the worker implements) are the ones
// library users see.
export type * from '../../workers/api.ts';
