import { describe, expect, it } from 'vitest';
import { learningCurvesSvg, niceTicks, wantsLogScale, xmlEscape } from '../../lib/cli/svg';
import { checkWellFormed } from './xml';

const curves = {
  epochs: [1, 2, 3, 4, 5],
  loss: [1.2, 0.8, 0.5, 0.4, 0.35],
  valLoss: [1.1, 0.85, 0.6, 0.55, 0.58],
  accuracy: [0.5, 0.7, 0.8, 0.85, 0.9],
  valAccuracy: [0.52, 0.68, 0.79, 0.83, 0.82],
  bestEpoch: 4,
};

describe('learningCurvesSvg', () => {
  it('is well-formed XML with a title, two panels, axes and a legend', () => {
    const svg = learningCurvesSvg(curves, 'iris <"species"> & more');
    const names = checkWellFormed(svg);
    expect(names[0]).toBe('svg');
    expect(names).toContain('title');
    expect(names.filter((n) => n === 'polyline')).toHaveLength(4);
    expect(svg).toContain('<title>iris &lt;&quot;species&quot;&gt; &amp; more</title>');
    for (const label of ['Loss', 'Accuracy', 'epoch', 'training', 'validation', 'best'])
      expect(svg).toContain(`>${label}<`);
  });

  it('draws one loss panel without accuracy or validation, and a single epoch as a point', () => {
    const svg = learningCurvesSvg({ epochs: [1], loss: [0.3] }, 'regression');
    const names = checkWellFormed(svg);
    expect(names).toContain('circle');
    expect(svg).not.toContain('>Accuracy<');
    expect(svg).not.toContain('>validation<');
  });

  it('keeps every point inside the plot area', () => {
    const svg = learningCurvesSvg(curves, 't');
    const pts = [...svg.matchAll(/points="([^"]+)"/g)].flatMap((m) =>
      m[1]!.split(' ').map((p) => p.split(',').map(Number)),
    );
    for (const [x, y] of pts) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThanOrEqual(920);
      expect(y).toBeGreaterThanOrEqual(0);
      expect(y).toBeLessThanOrEqual(340);
    }
  });
});

describe('log scale', () => {
  it('is used for a loss spanning more than a factor of 50, with ticks at powers of 10', () => {
    expect(wantsLogScale([1, 0.5, 0.1])).toBe(false);
    expect(wantsLogScale([1.2, 0.1, 0.01])).toBe(true);
    expect(wantsLogScale([1, 0, 0.001])).toBe(false);
    const svg = learningCurvesSvg({ epochs: [1, 2, 3], loss: [1.2, 0.1, 0.01] }, 't');
    checkWellFormed(svg);
    expect(svg).toContain('loss (log scale)');
    for (const t of ['0.01', '0.1', '1', '10']) expect(svg).toMatch(new RegExp(`>${t.replace('.', '\\.')}</text>`));
  });
});

describe('helpers', () => {
  it('escapes the XML specials', () => {
    expect(xmlEscape(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
  });

  it('nice ticks are round and cover the range', () => {
    const t = niceTicks(0.13, 0.97);
    expect(t[0]).toBeLessThanOrEqual(0.13);
    expect(t[t.length - 1]).toBeGreaterThanOrEqual(0.97);
    const step = t[1]! - t[0]!;
    expect([0.1, 0.2, 0.5]).toContain(Number(step.toPrecision(6)));
    expect(niceTicks(2, 2).length).toBeGreaterThan(1);
  });
});
