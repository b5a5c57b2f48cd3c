export * from './env';
export * from './shapes';
export * from './service';
export * from './secrets';
