import Foundation

/// Several expression sources read as one: the cells of every part in order, over the gene list
/// they all share.
///
/// The rules, chosen so that converting the parts equals converting their concatenation:
/// - **genes**: every part must have the same gene names in the same order (the first part's
///   `var` is kept). Files with other genes are refused, naming the file and the first gene
///   that differs; no union or intersection is taken, because either would silently change
///   what a sentence means for some of the cells.
/// - **obs**: the cell names are concatenated; a column is kept when every part has it with the
///   same kind of values (categories are merged, first seen first). Columns missing from a part
///   or of another kind there are left out and listed in `warnings`. A categorical column
///   `source_file` names each cell's file as it was given.
public final class ConcatenatedSource: ExpressionSource {
    /// The name of the obs column that holds each cell's file.
    public static let sourceFileColumn = "source_file"

    /// How the inputs were named as a whole: the folder they came from, or the first file.
    public let path: String
    /// The parts, in order.
    public let parts: [ExpressionSource]
    /// The joined obs columns with no rows, `source_file` last.
    public let obsSchema: DataFrame
    /// For each kept categorical column, each part's codes translated to the joined categories.
    private let categoryMaps: [String: [[Int32]]]
    private var joinedObs: DataFrame?
    public var genes: DataFrame { parts[0].genes }
    public var geneNames: [String] { parts[0].geneNames }
    public let cellCount: Int
    public var geneCount: Int { parts[0].geneCount }
    public var streams: Bool { parts.allSatisfy(\.streams) }
    public let warnings: [String]
    /// The first cell of each part, and `cellCount` at the end.
    let starts: [Int]

    /// Joins `parts` (at least one), checking that they share their genes; `path` names them as
    /// a whole (a folder, or the first file).
    public init(_ parts: [ExpressionSource], path: String) throws {
        guard let first = parts.first else { throw FileError(path, "no input files") }
        for part in parts.dropFirst() where part.geneNames != first.geneNames {
            throw FileError(part.path, Self.geneDifference(part.geneNames, first.geneNames, firstPath: first.path))
        }
        self.parts = parts
        self.path = path
        var starts = [0]
        for part in parts { starts.append(starts.last! + part.cellCount) }
        self.starts = starts
        cellCount = starts.last!
        var warnings = parts.flatMap(\.warnings)
        // Joining the parts' schemas decides the columns and their categories, which depend
        // only on each part's categories, not on its rows.
        let schemas = parts.map(\.obsSchema)
        let (columns, dropped) = Self.sharedColumns(schemas)
        if !dropped.isEmpty {
            warnings.append("obs columns not in every input file (or of another kind in some) are left out: \(dropped.joined(separator: ", "))")
        }
        let fileColumn = Column(Self.sourceFileColumn, .categorical(codes: [], categories: parts.map(\.path)))
        obsSchema = DataFrame(index: [], columns: columns.filter { $0.name != Self.sourceFileColumn } + [fileColumn])
        var maps: [String: [[Int32]]] = [:]
        for column in obsSchema.columns where column.name != Self.sourceFileColumn {
            guard case .categorical(_, let joined) = column.values else { continue }
            let position = Dictionary(joined.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { a, _ in a })
            maps[column.name] = schemas.map { schema in
                guard case .categorical(_, let cats)? = schema.column(column.name)?.values else { return [] }
                return cats.map { position[$0]! }
            }
        }
        categoryMaps = maps
        self.warnings = warnings
    }

    /// The joined obs of every part, made on first use.
    public var obs: DataFrame {
        if let joinedObs { return joinedObs }
        let (columns, _) = Self.sharedColumns(parts.map(\.obs))
        let fileCodes = parts.enumerated().flatMap { p, part in repeatElement(Int32(p), count: part.cellCount) }
        let fileColumn = Column(Self.sourceFileColumn, .categorical(codes: fileCodes, categories: parts.map(\.path)))
        let whole = DataFrame(index: parts.flatMap(\.obs.index),
                              columns: columns.filter { $0.name != Self.sourceFileColumn } + [fileColumn])
        joinedObs = whole
        return whole
    }

    /// Rows of the joined obs, read from each part they span; categorical codes are translated
    /// into the joined categories.
    public func readObs(_ range: Range<Int>, columns: [String]) throws -> DataFrame {
        let wanted = obsSchema.columns.filter { columns.contains($0.name) }
        var names: [String] = []
        names.reserveCapacity(range.count)
        var pieces: [[ColumnValues]] = wanted.map { _ in [] }
        var p = starts.lastIndex { $0 <= range.lowerBound } ?? 0
        var row = range.lowerBound
        while row < range.upperBound {
            let end = min(range.upperBound, starts[p + 1])
            if end > row {
                let local = (row - starts[p])..<(end - starts[p])
                let piece = try parts[p].readObs(local, columns: wanted.map(\.name))
                names += piece.index
                for (c, column) in wanted.enumerated() {
                    if column.name == Self.sourceFileColumn {
                        pieces[c].append(.categorical(codes: Array(repeating: Int32(p), count: local.count), categories: []))
                    } else if case .categorical(let codes, _)? = piece.column(column.name)?.values, let map = categoryMaps[column.name]?[p] {
                        pieces[c].append(.categorical(codes: codes.map { $0 >= 0 && Int($0) < map.count ? map[Int($0)] : -1 }, categories: []))
                    } else if let values = piece.column(column.name)?.values {
                        pieces[c].append(values)
                    }
                }
            }
            row = end
            p += 1
        }
        return DataFrame(index: names, columns: wanted.enumerated().map { c, column in
            Column(column.name, Self.concatenated(pieces[c], like: column.values))
        })
    }

    /// Pieces of one column (categorical ones already in the joined codes) as one column of the
    /// kind of `schema`.
    static func concatenated(_ pieces: [ColumnValues], like schema: ColumnValues) -> ColumnValues {
        switch schema {
        case .categorical(_, let categories):
            return .categorical(codes: pieces.flatMap { if case .categorical(let c, _) = $0 { return c } else { return [] } }, categories: categories)
        case .strings: return .strings(pieces.flatMap { if case .strings(let v) = $0 { return v } else { return [] } })
        case .integers: return .integers(pieces.flatMap { if case .integers(let v) = $0 { return v } else { return [] } })
        case .reals: return .reals(pieces.flatMap { if case .reals(let v) = $0 { return v } else { return [] } })
        case .bools: return .bools(pieces.flatMap { if case .bools(let v) = $0 { return v } else { return [] } })
        }
    }

    public func readRows(_ range: Range<Int>) throws -> CSRRows {
        var block = CSRRows.empty(at: range.lowerBound)
        guard !range.isEmpty else { return block }
        // The part holding the first row; a block may run over into the following parts.
        var p = starts.lastIndex { $0 <= range.lowerBound }!
        var row = range.lowerBound
        while row < range.upperBound {
            let end = min(range.upperBound, starts[p + 1])
            if end > row {
                let piece = try parts[p].readRows((row - starts[p])..<(end - starts[p]))
                if range.upperBound <= starts[p + 1] && row == range.lowerBound {
                    // The whole block comes from one part: hand it on without copying.
                    block = piece
                    block.firstRow = range.lowerBound
                    return block
                }
                let base = block.indices.count
                block.indptr.append(contentsOf: piece.indptr.dropFirst().map { $0 + base })
                block.indices.append(contentsOf: piece.indices)
                block.values.append(contentsOf: piece.values)
            }
            row = end
            p += 1
        }
        return block
    }

    /// Columns that every part has with the same kind of values, concatenated; and the names of
    /// the others.
    static func sharedColumns(_ tables: [DataFrame]) -> (kept: [Column], dropped: [String]) {
        var kept: [Column] = [], dropped: [String] = []
        var names = tables[0].columnNames
        for table in tables.dropFirst() {
            for name in table.columnNames where !names.contains(name) { names.append(name) }
        }
        for name in names {
            let columns = tables.map { $0.column(name)?.values }
            if let joined = join(columns) { kept.append(Column(name, joined)) } else { dropped.append(name) }
        }
        return (kept, dropped)
    }

    /// One column made of the parts' columns, or nil when a part lacks it or has another kind.
    static func join(_ columns: [ColumnValues?]) -> ColumnValues? {
        guard columns.allSatisfy({ $0 != nil }) else { return nil }
        let values = columns.map { $0! }
        switch values[0] {
        case .strings:
            var out: [String] = []
            for v in values { guard case .strings(let s) = v else { return nil }; out += s }
            return .strings(out)
        case .integers:
            var out: [Int64] = []
            for v in values { guard case .integers(let s) = v else { return nil }; out += s }
            return .integers(out)
        case .reals:
            var out: [Double] = []
            for v in values { guard case .reals(let s) = v else { return nil }; out += s }
            return .reals(out)
        case .bools:
            var out: [Bool] = []
            for v in values { guard case .bools(let s) = v else { return nil }; out += s }
            return .bools(out)
        case .categorical:
            // Categories in order of first appearance over the parts; each part's codes are
            // translated into the merged list (missing stays -1).
            var categories: [String] = [], position: [String: Int32] = [:], codes: [Int32] = []
            for v in values {
                guard case .categorical(let c, let cats) = v else { return nil }
                let map = cats.map { cat -> Int32 in
                    if let k = position[cat] { return k }
                    position[cat] = Int32(categories.count)
                    categories.append(cat)
                    return Int32(categories.count - 1)
                }
                codes += c.map { $0 >= 0 && Int($0) < map.count ? map[Int($0)] : -1 }
            }
            return .categorical(codes: codes, categories: categories)
        }
    }

    /// What differs between a part's genes and the first part's, in words.
    static func geneDifference(_ genes: [String], _ reference: [String], firstPath: String) -> String {
        if genes.count != reference.count {
            return "has \(genes.count) genes but \(firstPath) has \(reference.count); input files must share their gene list (same genes, same order)"
        }
        let i = genes.indices.first { genes[$0] != reference[$0] }!
        return "gene \(i + 1) is '\(genes[i])' but '\(reference[i])' in \(firstPath); input files must share their gene list (same genes, same order)"
    }
}
