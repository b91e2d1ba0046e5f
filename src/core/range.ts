/**
 * A run of whole lines of one input file: bytes [start, end) of its (uncompressed) content,
 * lines firstLine … firstLine + lineCount - 1. Chunks on the queue, the ledger's rows and the
 * parts of a chunk written after an overlap are all FileRanges, and are named by rangeKey.
 */
export interface FileRange {
  fileId: number;
  start: number;
  end: number;
  /** 1-based number of the first line in the file. */
  firstLine: number;
  lineCount: number;
}

/** The one way a range is named, in logs, messages and maps: `fileId:start-end`. */
export function rangeKey(r: Pick<FileRange, 'fileId' | 'start' | 'end'>): string {
  return `${r.fileId}:${r.start}-${r.end}`;
}

/** Whether line `lineNo` lies in one of `ranges`. */
export function coversLine(ranges: readonly Pick<FileRange, 'firstLine' | 'lineCount'>[], lineNo: number): boolean {
  return ranges.some((r) => lineNo >= r.firstLine && lineNo < r.firstLine + r.lineCount);
}
