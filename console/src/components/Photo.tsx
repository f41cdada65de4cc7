import { useState } from 'preact/hooks';
import type { Box } from '../api.ts';

export interface Marked {
  box: Box;
  label?: string;
  tone?: 'match' | 'miss' | 'neutral';
}

/**
 * A photo with face boxes drawn over it in its own pixels: the boxes the service reports are in
 * the upright photo's pixels, which is what the browser shows (it applies EXIF orientation).
 */
export function Photo({ src, alt, marks = [] }: { src?: string; alt: string; marks?: Marked[] }) {
  const [size, setSize] = useState<{ width: number; height: number }>();
  if (!src) return <div class="photo-frame photo-empty">{alt}</div>;
  return (
    <div class="photo-frame">
      <figure class="photo">
        <img
          src={src}
          alt={alt}
          onLoad={(event) => {
            const image = event.currentTarget;
            setSize({ width: image.naturalWidth, height: image.naturalHeight });
          }}
        />
        {size && marks.length > 0 && (
          <svg
            class="photo-marks"
            viewBox={`0 0 ${size.width} ${size.height}`}
            preserveAspectRatio="none"
            aria-hidden="true"
          >
            {marks.map(({ box, label, tone = 'neutral' }, index) => {
              const stroke = Math.max(2, size.width / 250);
              return (
                <g key={index} class={`mark mark-${tone}`}>
                  <rect
                    x={box.x}
                    y={box.y}
                    width={box.w}
                    height={box.h}
                    vector-effect="non-scaling-stroke"
                  />
                  {label && (
                    <text
                      x={box.x}
                      y={Math.max(box.y - stroke * 2, stroke * 8)}
                      font-size={stroke * 8}
                    >
                      {label}
                    </text>
                  )}
                </g>
              );
            })}
          </svg>
        )}
      </figure>
    </div>
  );
}
