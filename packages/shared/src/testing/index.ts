export * from './free-port.ts';
export * from './supabase-auth-users.ts';
export * from './test-config.ts';
export * from './test-database.ts';
export * from './test-ids.ts';
export * from './test-redis.ts';
export * from './unreachable-port.ts';
export * from './wait-for.ts';
