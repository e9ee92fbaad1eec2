export { type AppDeps, createApp } from './app.ts';
export { createJobBatcher, EnqueueError, type JobBatcher, type JobBatcherOptions } from './enqueue/job-batcher.ts';
export { type RunningIngress, type StartIngressOptions, startIngress } from './start-ingress.ts';
export { type AuthUsers, sqlAuthUsers, supabaseAuthUsers } from './users/auth-users.ts';
