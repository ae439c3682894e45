import Foundation
import Mechanics
import SingleCell

/// The rows renamed to make cell names unique (ascending) and their new names.
struct RenamedCells {
    var rows: [Int] = []
    var names: [String] = []
}

/// The metadata written beside each sentence, for one block of cells: the block's obs rows
/// (read with it) and the QC metrics of its cells.
struct OutputColumns: @unchecked Sendable {
    /// What every block shares: each column's `,"name":` and the JSON of each category,
    /// rendered once.
    struct Layout {
        let names: [String]
        let fragments: [[UInt8]]
        /// Per column: the rendered categories (and `null` last) of a categorical obs column.
        let categories: [PackedStrings?]
        /// The requested columns read from obs (the rest are QC metrics).
        let obsNames: [String]

        init(schema: DataFrame, names: [String]) {
            self.names = names
            fragments = names.map { name in
                var b: [UInt8] = [44]
                JSONText.appendString(name, to: &b)
                b.append(58)
                return b
            }
            categories = names.map { name in
                guard case .categorical(_, let cats)? = schema.column(name)?.values else { return nil }
                let rendered = cats.map { c -> [UInt8] in var b: [UInt8] = []; JSONText.appendString(c, to: &b); return b }
                return PackedStrings(rendered + [Array("null".utf8)])
            }
            obsNames = names.filter { schema.column($0) != nil }
        }
    }

    enum Renderer {
        case packed(codes: [Int32], rendered: PackedStrings)  // categorical: code -> JSON text
        case text([String])
        case integers([Int64])
        case reals([Double])
        case floats([Float])
        case bools([Bool])
    }
    let fragments: [[UInt8]]
    let renderers: [Renderer]
    let cellNames: [String]
    /// The input row of the block's first cell: rows are given as input rows.
    let firstRow: Int

    /// The columns of input rows `rows`, whose obs is `obs`.
    init(layout: Layout, obs: DataFrame, rows: Range<Int>, plan: PreprocessingPlan, renamed: RenamedCells) {
        firstRow = rows.lowerBound
        fragments = layout.fragments
        var names = obs.index
        // Renamed rows of this block (both lists ascending by row): the first at or after
        // the block's first row, by bisection.
        let upper = firstRow + names.count
        var lo = 0, hi = renamed.rows.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if renamed.rows[mid] < firstRow { lo = mid + 1 } else { hi = mid }
        }
        var k = lo
        while k < renamed.rows.count && renamed.rows[k] < upper {
            names[renamed.rows[k] - firstRow] = renamed.names[k]
            k += 1
        }
        cellNames = names
        renderers = layout.names.enumerated().map { c, name -> Renderer in
            guard let column = obs.column(name) else {
                switch name {
                case "n_genes_by_counts": return .floats(Array(plan.qc.nGenes[rows]))
                case "total_counts": return .reals(Array(plan.qc.totalCounts[rows]))
                default: return .floats(Array(plan.qc.percentMito[rows]))
                }
            }
            switch column.values {
            case .categorical(let codes, _): return .packed(codes: codes, rendered: layout.categories[c]!)
            case .strings(let v): return .text(v)
            case .integers(let v): return .integers(v)
            case .reals(let v): return .reals(v)
            case .bools(let v): return .bools(v)
            }
        }
    }

    func appendCellName(_ row: Int, to out: ByteBuffer) {
        var b: [UInt8] = []
        let local = row - firstRow
        JSONText.appendString(local < cellNames.count ? cellNames[local] : "cell_\(row)", to: &b)
        out.append(b)
    }

    func append(row: Int, to out: ByteBuffer) {
        let local = row - firstRow
        for (c, renderer) in renderers.enumerated() {
            out.append(fragments[c])
            switch renderer {
            case .packed(let codes, let rendered):
                var code = Int(codes[local])
                if code < 0 || code >= rendered.count - 1 { code = rendered.count - 1 }
                out.append(Array(rendered.bytes[rendered.offsets[code]..<rendered.offsets[code + 1]]))
            case .text(let v):
                var b: [UInt8] = []
                JSONText.appendString(v[local], to: &b)
                out.append(b)
            case .integers(let v): out.append(Array(String(v[local]).utf8))
            case .reals(let v): out.append(Array(JSONText.number(v[local]).utf8))
            case .floats(let v): out.append(Array(JSONText.number(v[local]).utf8))
            case .bools(let v): out.append(Array((v[local] ? "true" : "false").utf8))
            }
        }
    }
}
