// Baseline for the ingress benchmark: Express 5 parsing the same form body and answering 204.
import express from 'express';

const port = Number(process.env.PORT ?? 3900);
const app = express();
app.post('/twilio/sms/status', express.urlencoded({ extended: false, limit: '64kb' }), (_req, res) => {
  res.status(204).end();
});
const server = app.listen(port, '127.0.0.1', () => console.log(`listening on ${port}`));
app.get('/healthz', (_req, res) => {
  res.status(200).end();
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
