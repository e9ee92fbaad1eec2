import { describe, expect, it } from '@jest/globals';
import { countSegments } from './segments.ts';

describe('countSegments', () => {
  it('fits 160 GSM-7 characters in one segment and splits longer bodies into parts of 153', () => {
    expect(countSegments('a'.repeat(160))).toEqual({ encoding: 'gsm7', segments: 1 });
    expect(countSegments('a'.repeat(161))).toEqual({ encoding: 'gsm7', segments: 2 });
    expect(countSegments('a'.repeat(306))).toEqual({ encoding: 'gsm7', segments: 2 });
    expect(countSegments('a'.repeat(307))).toEqual({ encoding: 'gsm7', segments: 3 });
  });

  it('counts GSM-7 extension characters as two septets', () => {
    expect(countSegments('€'.repeat(80))).toEqual({ encoding: 'gsm7', segments: 1 });
    expect(countSegments('€'.repeat(81))).toEqual({ encoding: 'gsm7', segments: 2 });
  });

  it('switches to UCS-2 for any other character: 70 in one segment, parts of 67', () => {
    expect(countSegments('ü'.repeat(70)).encoding).toBe('gsm7');
    expect(countSegments(`${'a'.repeat(69)}ł`)).toEqual({ encoding: 'ucs2', segments: 1 });
    expect(countSegments(`${'a'.repeat(70)}ł`)).toEqual({ encoding: 'ucs2', segments: 2 });
    expect(countSegments('ł'.repeat(134))).toEqual({ encoding: 'ucs2', segments: 2 });
    expect(countSegments('ł'.repeat(135))).toEqual({ encoding: 'ucs2', segments: 3 });
  });

  it('never splits a surrogate pair across two parts', () => {
    // 33 emoji are 66 code units; one more does not fit in the first 67-unit part.
    expect(countSegments('😀'.repeat(35))).toEqual({ encoding: 'ucs2', segments: 1 });
    expect(countSegments('😀'.repeat(36))).toEqual({ encoding: 'ucs2', segments: 2 });
    expect(countSegments('😀'.repeat(67))).toEqual({ encoding: 'ucs2', segments: 3 });
  });
});
