/** A daily window of wall-clock time, in minutes after local midnight; `end` may be before `start` (overnight). */
export interface CallingHours {
  /** First minute of the window, 0–1439. */
  startMinute: number;
  /** First minute after the window, 1–1440. */
  endMinute: number;
}

const MINUTES_PER_DAY = 24 * 60;

/** Parses `HH:MM-HH:MM` (`24:00` may end a window); undefined when malformed or empty. */
export function parseCallingHours(value: string): CallingHours | undefined {
  const match = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(value.trim());
  if (!match) return undefined;
  const [startHour, startMinute, endHour, endMinute] = match.slice(1).map(Number) as [number, number, number, number];
  const start = startHour * 60 + startMinute;
  const end = endHour * 60 + endMinute;
  if (startHour > 23 || startMinute > 59 || endMinute > 59 || end > MINUTES_PER_DAY || start === end) return undefined;
  return { startMinute: start, endMinute: end };
}

/**
 * Whether `name` is a time zone this runtime knows (an IANA name such as `America/New_York`).
 * UTC is known without asking Intl: asking loads ICU's date data, about 8 MB of every process
 * that checks its configuration's default zone at start-up.
 */
export function isTimeZone(name: string): boolean {
  if (name === 'UTC') return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

interface WallTime {
  year: number;
  month: number;
  day: number;
  minuteOfDay: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall-clock date and minute of `instant` in `timeZone`. */
function wallTimeOf(instant: number, timeZone: string): WallTime {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant))
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    minuteOfDay: (parts.hour ?? 0) * 60 + (parts.minute ?? 0),
  };
}

/** The wall time read as if it were UTC, in milliseconds: the difference to an instant is the zone's offset. */
function asUtc(wall: WallTime): number {
  return Date.UTC(wall.year, wall.month - 1, wall.day, 0, wall.minuteOfDay);
}

/**
 * The instant the wall clock of `timeZone` shows `wall`, using the offset in force then, not
 * now (so the day after a DST change is right). A wall time a DST change skips resolves to an
 * instant just after the gap.
 */
function instantOf(wall: WallTime, timeZone: string): number {
  const target = asUtc(wall);
  let instant = target;
  // Twice: the offset at the first guess may differ from the offset at the answer.
  for (let i = 0; i < 2; i += 1) instant = target - (asUtc(wallTimeOf(instant, timeZone)) - instant);
  // Inside a gap the clock reads earlier than asked: move on by the difference, past the jump.
  const shown = asUtc(wallTimeOf(instant, timeZone));
  return shown < target ? instant + (target - shown) : instant;
}

function inWindow(minuteOfDay: number, hours: CallingHours): boolean {
  return hours.startMinute < hours.endMinute
    ? minuteOfDay >= hours.startMinute && minuteOfDay < hours.endMinute
    : minuteOfDay >= hours.startMinute || minuteOfDay < hours.endMinute;
}

/**
 * The first moment at or after `at` inside the daily calling window of `timeZone`: `at`
 * itself when the window is open, else the window's next opening.
 */
export function nextCallingTime(at: Date, hours: CallingHours, timeZone: string): Date {
  const now = wallTimeOf(at.getTime(), timeZone);
  if (inWindow(now.minuteOfDay, hours)) return at;
  // Closed: the window opens later today, unless today's opening has passed (then tomorrow).
  const dayOffset = now.minuteOfDay < hours.startMinute ? 0 : 1;
  const day = new Date(Date.UTC(now.year, now.month - 1, now.day + dayOffset));
  const opening = instantOf(
    { year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), minuteOfDay: hours.startMinute },
    timeZone,
  );
  return new Date(opening);
}
