import { describe, expect, it } from '@jest/globals';
import { isTimeZone, nextCallingTime, parseCallingHours } from './calling-hours.ts';

const nineToEight = { startMinute: 9 * 60, endMinute: 20 * 60 };

describe('parseCallingHours', () => {
  it('reads HH:MM-HH:MM, overnight windows included, and refuses the rest', () => {
    expect(parseCallingHours('09:00-20:00')).toEqual(nineToEight);
    expect(parseCallingHours('22:30-06:00')).toEqual({ startMinute: 22 * 60 + 30, endMinute: 6 * 60 });
    expect(parseCallingHours('00:00-24:00')).toEqual({ startMinute: 0, endMinute: 24 * 60 });
    for (const bad of ['9-20', '09:00-09:00', '25:00-26:00', '09:60-10:00', '09:00-24:01', 'all day'])
      expect(parseCallingHours(bad)).toBeUndefined();
  });
});

describe('isTimeZone', () => {
  it('knows IANA names and refuses others', () => {
    expect(isTimeZone('Europe/Paris')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    expect(isTimeZone('')).toBe(false);
  });
});

describe('nextCallingTime', () => {
  it('keeps a time inside the window', () => {
    const at = new Date('2026-06-01T12:34:56Z');
    expect(nextCallingTime(at, nineToEight, 'UTC')).toEqual(at);
  });

  it('moves a night-time request to the morning, the same day or the next', () => {
    expect(nextCallingTime(new Date('2026-06-01T03:00:00Z'), nineToEight, 'UTC')).toEqual(
      new Date('2026-06-01T09:00:00Z'),
    );
    expect(nextCallingTime(new Date('2026-06-01T20:00:00Z'), nineToEight, 'UTC')).toEqual(
      new Date('2026-06-02T09:00:00Z'),
    );
    // 23:00 in New York (EDT, UTC-4) is 03:00 UTC the next day: morning there is 13:00 UTC.
    expect(nextCallingTime(new Date('2026-06-02T03:00:00Z'), nineToEight, 'America/New_York')).toEqual(
      new Date('2026-06-02T13:00:00Z'),
    );
  });

  it('uses the offset of the morning, not of the night, across a DST change', () => {
    // Paris, 28–29 March 2026: clocks go from UTC+1 to UTC+2 at 02:00 on the 29th.
    expect(nextCallingTime(new Date('2026-03-28T22:00:00Z'), nineToEight, 'Europe/Paris')).toEqual(
      new Date('2026-03-29T07:00:00Z'),
    );
    // New York, 1 November 2026: back from UTC-4 to UTC-5.
    expect(nextCallingTime(new Date('2026-11-01T02:00:00Z'), nineToEight, 'America/New_York')).toEqual(
      new Date('2026-11-01T14:00:00Z'),
    );
  });

  it('opens a window whose start a DST change skips just after the jump', () => {
    // New York, 8 March 2026: 02:00 EST jumps to 03:00 EDT (07:00 UTC), so 02:30 never shows.
    const hours = { startMinute: 2 * 60 + 30, endMinute: 20 * 60 };
    const opening = nextCallingTime(new Date('2026-03-08T05:00:00Z'), hours, 'America/New_York');
    expect(opening.getTime()).toBeGreaterThanOrEqual(Date.parse('2026-03-08T07:00:00Z'));
    expect(opening.getTime()).toBeLessThanOrEqual(Date.parse('2026-03-08T07:30:00Z'));
  });

  it('handles an overnight window', () => {
    const night = { startMinute: 22 * 60, endMinute: 6 * 60 };
    const at = new Date('2026-06-01T02:00:00Z');
    expect(nextCallingTime(at, night, 'UTC')).toEqual(at);
    expect(nextCallingTime(new Date('2026-06-01T12:00:00Z'), night, 'UTC')).toEqual(new Date('2026-06-01T22:00:00Z'));
  });
});
