export * from './events';
export * from './roles';
