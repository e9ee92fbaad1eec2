// A service that takes half a second to start and then keeps running (a timer stands for its
// connections) until it is closed, for run-service.test.ts.
import { runService } from '../run-service.ts';

await runService('slow-start', [], async () => {
  await new Promise((resolve) => setTimeout(resolve, 500));
  const running = setInterval(() => {}, 1_000);
  return { close: async () => clearInterval(running) };
});
