import { describe, expect, it } from 'vitest';
import { brailleChart, legend, sideBySide, visibleLength } from '../../lib/cli/termchart';

const BRAILLE = /^[\u2800-\u28ff]+$/;

describe('brailleChart', () => {
  it('has the requested size, labels the range and draws with braille', () => {
    const values = [1, 0.8, 0.6, 0.4, 0.2];
    const lines = brailleChart([{ label: 'train', values, color: 36 }], {
      title: 'loss',
      width: 20,
      height: 5,
      color: false,
    });
    expect(lines).toHaveLength(1 + 5 + 2);
    expect(lines[1]).toMatch(/^ 1\.00 ┤/);
    expect(lines[5]).toMatch(/^0\.200 ┤/);
    const rows = lines.slice(1, 6).map((l) => l.slice(l.indexOf('┤') >= 0 ? l.indexOf('┤') + 1 : l.indexOf('│') + 1));
    for (const r of rows) {
      expect(r).toHaveLength(20);
      expect(r).toMatch(BRAILLE);
    }
    // A decreasing series starts in the top row's left cell and ends in the bottom row's right cell.
    expect(rows[0]![0]).not.toBe('\u2800');
    expect(rows[4]![19]).not.toBe('\u2800');
    expect(rows[0]![19]).toBe('\u2800');
    expect(lines[7]).toContain('5 epochs');
  });

  it('colors cells only when asked and stays aligned', () => {
    const series = [
      { label: 'training', values: [3, 2, 1], color: 36 },
      { label: 'validation', values: [3, 2.5, 2], color: 33, dashed: true },
    ];
    const plain = brailleChart(series, { title: 'loss', width: 10, height: 3, color: false });
    const colored = brailleChart(series, { title: 'loss', width: 10, height: 3, color: true });
    expect(plain.join('')).not.toContain('\x1b[');
    expect(colored.join('')).toContain('\x1b[33m');
    expect(colored.map(visibleLength)).toEqual(plain.map(visibleLength));
    expect(legend(series, false)).toBe('⠒⠒⠒ training   ⠒ ⠒ validation');
  });

  it('places blocks side by side', () => {
    expect(
      sideBySide(
        [
          ['ab', 'c'],
          ['x', 'y', 'z'],
        ],
        2,
      ),
    ).toEqual(['ab  x', 'c   y', '    z']);
  });
});
