export * from './money';
export * from './price-projection/price-projection.table';
export * from './price-projection/price-projection.repository';
export * from './price-projection/price-projection.events';
export * from './price-projection/price-projection.migration';
