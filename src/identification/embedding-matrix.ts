/** One row of the matrix: what a search returns besides the distance. */
export interface MatrixEntry {
  id: number;
  key: string;
  filename: string;
  subject: string | null;
}

export interface Neighbour {
  entry: MatrixEntry;
  /** Cosine distance, 1 - cos: the same measure as compare's. */
  distance: number;
}

/** The rows of one group: their entries and unit-length vectors, in the same order. */
export interface MatrixGroup {
  entries: MatrixEntry[];
  vectors: Float32Array[];
}

/**
 * Unit-length embeddings packed row after row in one Float32Array, for exact nearest-neighbour
 * search by dot product. Removal moves the last row into the hole, so rows stay dense and a search
 * touches only live rows.
 */
export class EmbeddingMatrix {
  private vectors: Float32Array;
  private entries: MatrixEntry[] = [];
  private readonly rowById = new Map<number, number>();

  constructor(
    readonly dimension: number,
    initialCapacity = 1024,
  ) {
    this.vectors = new Float32Array(dimension * Math.max(1, initialCapacity));
  }

  get size(): number {
    return this.entries.length;
  }

  has(id: number): boolean {
    return this.rowById.has(id);
  }

  /** Adds a row, or replaces the row with the same id. */
  add(entry: MatrixEntry, embedding: ArrayLike<number>): void {
    if (embedding.length !== this.dimension) {
      throw new RangeError(`embedding has ${embedding.length} values, expected ${this.dimension}`);
    }
    const norm = Math.hypot(...Array.from(embedding));
    if (norm === 0) throw new RangeError('cannot index a zero embedding');
    let row = this.rowById.get(entry.id);
    if (row === undefined) {
      row = this.entries.length;
      this.ensureCapacity(row + 1);
      this.rowById.set(entry.id, row);
      this.entries.push(entry);
    } else {
      this.entries[row] = entry;
    }
    const offset = row * this.dimension;
    for (let index = 0; index < this.dimension; index++) {
      this.vectors[offset + index] = embedding[index] / norm;
    }
  }

  /** Removes the row with this id; false when there was none. */
  remove(id: number): boolean {
    const row = this.rowById.get(id);
    if (row === undefined) return false;
    const last = this.entries.length - 1;
    if (row !== last) {
      const moved = this.entries[last];
      this.entries[row] = moved;
      this.rowById.set(moved.id, row);
      this.vectors.copyWithin(
        row * this.dimension,
        last * this.dimension,
        (last + 1) * this.dimension,
      );
    }
    this.entries.pop();
    this.rowById.delete(id);
    return true;
  }

  clear(): void {
    this.entries = [];
    this.rowById.clear();
  }

  /**
   * Every row grouped by `groupOf` (a person), with views of its unit-length vectors: what a
   * search by person combines. The views are valid until the matrix next changes.
   */
  groups(groupOf: (entry: MatrixEntry) => string): Map<string, MatrixGroup> {
    const groups = new Map<string, MatrixGroup>();
    for (let row = 0; row < this.entries.length; row++) {
      const entry = this.entries[row];
      const name = groupOf(entry);
      let group = groups.get(name);
      if (!group) groups.set(name, (group = { entries: [], vectors: [] }));
      group.entries.push(entry);
      const offset = row * this.dimension;
      group.vectors.push(this.vectors.subarray(offset, offset + this.dimension));
    }
    return groups;
  }

  /** The `limit` rows closest to `query`, closest first. */
  nearest(query: ArrayLike<number>, limit: number): Neighbour[] {
    if (query.length !== this.dimension) {
      throw new RangeError(`query has ${query.length} values, expected ${this.dimension}`);
    }
    const dimension = this.dimension;
    const norm = Math.hypot(...Array.from(query));
    if (norm === 0) throw new RangeError('cannot search with a zero embedding');
    const unit = Float32Array.from(query, (value) => value / norm);

    // The best `limit` rows so far, kept sorted by similarity, best first: limit is small.
    const bestRows: number[] = [];
    const bestScores: number[] = [];
    const vectors = this.vectors;
    for (let row = 0, offset = 0; row < this.entries.length; row++, offset += dimension) {
      let dot = 0;
      for (let index = 0; index < dimension; index++) dot += vectors[offset + index] * unit[index];
      if (bestRows.length === limit && dot <= bestScores[limit - 1]) continue;
      let at = bestRows.length === limit ? limit - 1 : bestRows.length;
      while (at > 0 && bestScores[at - 1] < dot) {
        bestRows[at] = bestRows[at - 1];
        bestScores[at] = bestScores[at - 1];
        at--;
      }
      bestRows[at] = row;
      bestScores[at] = dot;
    }
    return bestRows.map((row, rank) => ({
      entry: this.entries[row],
      // Rounding can take a dot product of unit vectors a hair past 1.
      distance: Math.max(0, 1 - bestScores[rank]),
    }));
  }

  private ensureCapacity(rows: number): void {
    if (rows * this.dimension <= this.vectors.length) return;
    const grown = new Float32Array(
      Math.max(rows, (this.vectors.length / this.dimension) * 2) * this.dimension,
    );
    grown.set(this.vectors.subarray(0, this.entries.length * this.dimension));
    this.vectors = grown;
  }
}
