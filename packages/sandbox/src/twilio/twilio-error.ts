import type { Response } from 'express';

/** The body Twilio's REST API answers a rejected request with (parsed by the SDK's RestException). */
export interface TwilioErrorBody {
  code: number;
  message: string;
  more_info: string;
  status: number;
}

export function twilioErrorBody(status: number, code: number, message: string): TwilioErrorBody {
  return { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status };
}

export function sendTwilioError(res: Response, status: number, code: number, message: string): void {
  res.status(status).json(twilioErrorBody(status, code, message));
}
