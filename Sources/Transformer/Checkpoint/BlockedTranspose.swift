import Foundation
import Mechanics

/// Converts a stored `[rows, columns]` matrix to `Float` laid out `[columns, rows]`.
///
/// A naive transpose strides through one side by a whole row per element and misses the cache
/// on every access for matrices like GPT-2's 768×3072. Working in 32×32 tiles keeps both the
/// source rows and the destination rows of a tile in L1: each tile's source rows are converted
/// into a small buffer, then written out column by column.
enum BlockedTranspose {
    static let tile = 32

    static func convert(_ source: UnsafeRawPointer, dtype: SafetensorsDType, rows: Int, columns: Int, into destination: UnsafeMutablePointer<Float>) {
        let rowBlocks = (rows + tile - 1) / tile
        let pointers = ConversionPointers(source: source, destination: UnsafeMutableRawPointer(destination))
        let work: @Sendable (Range<Int>) -> Void = { blocks in
            convertRowBlocks(blocks, pointers.source, dtype: dtype, rows: rows, columns: columns,
                             into: pointers.destination.assumingMemoryBound(to: Float.self))
        }
        let cores = Parallel.defaultThreads
        guard rows * columns >= FloatConversion.parallelThreshold, cores > 1, rowBlocks > 1 else {
            work(0..<rowBlocks)
            return
        }
        // Row blocks write disjoint sets of destination elements, so they can run side by side:
        // min(cores, rowBlocks) contiguous runs of row blocks.
        Parallel.forEachRange(rowBlocks, threads: cores) { _, blocks in work(blocks) }
    }

    private static func convertRowBlocks(_ blocks: Range<Int>, _ source: UnsafeRawPointer, dtype: SafetensorsDType,
                                         rows: Int, columns: Int, into destination: UnsafeMutablePointer<Float>) {
        let itemBytes = dtype.bitSize / 8
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: tile * tile)
        defer { buffer.deallocate() }
        for block in blocks {
            let row0 = block * tile
            let height = min(tile, rows - row0)
            var column0 = 0
            while column0 < columns {
                let width = min(tile, columns - column0)
                for r in 0..<height {
                    FloatConversion.toFloatSerial(source + ((row0 + r) * columns + column0) * itemBytes, dtype: dtype,
                                                  into: buffer + r * tile, count: width)
                }
                for c in 0..<width {
                    let out = destination + (column0 + c) * rows + row0
                    for r in 0..<height { out[r] = buffer[r * tile + c] }
                }
                column0 += tile
            }
        }
    }
}
