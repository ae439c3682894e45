import SingleCell

/// What to do when two genes end up with the same name (duplicates in the file, or names that
/// differ only in case once upper-cased, like `Actb` and `ACTB`).
public enum DuplicateGenePolicy: String, CaseIterable, Sendable, Codable {
    /// Stop and list the clashing names (the default: never mislabel silently).
    case fail
    /// Rename later occurrences `NAME-1`, `NAME-2`, ... like anndata's `var_names_make_unique`.
    case makeUnique = "make-unique"
    /// Keep the first occurrence and drop the others.
    case keepFirst = "keep-first"
    /// Add the counts of all occurrences into one gene.
    case sum
}

/// A set of genes that share one output name.
public struct GeneNameClash: Sendable, Codable, Equatable {
    public var name: String
    public var originals: [String]
}

/// Turns the input's gene names into the vocabulary's names: upper-cased like the reference
/// (unless case is kept), with clashes detected and resolved by an explicit policy.
///
/// By default (`upperCase` nil) the names' spelling decides: upper-case and mixed names are
/// upper-cased like the reference, but capitalised (mouse-style) names keep their case. Mouse
/// files often hold a few all-caps names beside the mouse ones (`PISD` and `Pisd`), which
/// upper-casing would merge; keeping case keeps them apart and the vocabulary spelled as the
/// organism spells it, so a mouse file converts without flags.
public struct GeneNaming: Sendable {
    /// Upper-case every name (true), keep names as they are (false), or decide from the
    /// names' style (nil).
    public var upperCase: Bool?
    public var policy: DuplicateGenePolicy

    public init(upperCase: Bool? = nil, policy: DuplicateGenePolicy = .fail) {
        self.upperCase = upperCase
        self.policy = policy
    }

    public struct Result: Sendable {
        /// Names of the output genes, in order of first occurrence.
        public var names: [String]
        /// For each input gene, its output column, or -1 when dropped.
        public var columnMap: [Int32]
        /// Whether two input columns feed one output column (so values must be summed).
        public var merges: Bool
        public var clashes: [GeneNameClash]
        public var warnings: [String]
        /// Whether the names were upper-cased (as asked, or as the style decided).
        public var upperCased: Bool
        /// The input names' spelling.
        public var style: GeneNameStyle

        /// Whether the map is the identity (nothing renamed into another column or dropped).
        public var isIdentity: Bool {
            columnMap.enumerated().allSatisfy { Int($0.element) == $0.offset }
        }
    }

    /// Resolves `names`; `path` names the input in errors.
    public func resolve(_ names: [String], path: String) throws -> Result {
        var warnings: [String] = []
        let bad = names.enumerated().filter { $0.element.isEmpty || $0.element.contains(where: \.isWhitespace) }
        if !bad.isEmpty {
            let examples = bad.prefix(5).map { "#\($0.offset + 1) '\($0.element)'" }.joined(separator: ", ")
            throw FileError(path, "\(bad.count) gene name(s) are empty or contain whitespace, which would break sentences: \(examples)")
        }
        let ensembl = EnsemblIDs.fraction(names)
        if ensembl > 0.5 {
            warnings.append("\(path): \(Int(ensembl * 100)) % of gene names look like Ensembl IDs; cell sentences read best with gene symbols (use --gene-column to pick a symbol column)")
        }
        let style = GeneNameStyle.detect(names)
        let upperCase = self.upperCase ?? (style.kind != .capitalised)
        let transformed = upperCase ? names.map { $0.uppercased() } : names
        var firstIndex: [String: Int] = [:]
        firstIndex.reserveCapacity(names.count)
        var groups: [String: [Int]] = [:]
        for (i, n) in transformed.enumerated() {
            if let f = firstIndex[n] {
                groups[n, default: [f]].append(i)
            } else {
                firstIndex[n] = i
            }
        }
        let clashes = groups.keys.sorted { firstIndex[$0]! < firstIndex[$1]! }.map { key in
            GeneNameClash(name: key, originals: groups[key]!.map { names[$0] })
        }
        if clashes.isEmpty {
            return Result(names: transformed, columnMap: (0..<names.count).map { Int32($0) }, merges: false, clashes: [], warnings: warnings,
                          upperCased: upperCase, style: style)
        }
        switch policy {
        case .fail:
            let list = clashes.prefix(8).map { "\($0.name) <- \($0.originals.joined(separator: ", "))" }.joined(separator: "; ")
            let more = clashes.count > 8 ? " and \(clashes.count - 8) more" : ""
            throw FileError(path, "\(clashes.count) gene name(s) are duplicated\(upperCase ? " after upper-casing" : ""): \(list)\(more). Choose --on-duplicate make-unique, keep-first or sum\(upperCase ? ", or --keep-case" : "")")
        case .makeUnique:
            var used = Set(transformed)
            var seen: [String: Int] = [:]
            var out = transformed
            for (i, n) in transformed.enumerated() {
                let k = seen[n, default: 0]
                seen[n] = k + 1
                guard k > 0 else { continue }
                var j = k, candidate = "\(n)-\(j)"
                while used.contains(candidate) { j += 1; candidate = "\(n)-\(j)" }
                used.insert(candidate)
                out[i] = candidate
            }
            warnings.append("\(path): renamed \(clashes.count) duplicated gene name(s) with -1, -2, ... suffixes")
            return Result(names: out, columnMap: (0..<names.count).map { Int32($0) }, merges: false, clashes: clashes, warnings: warnings,
                          upperCased: upperCase, style: style)
        case .keepFirst, .sum:
            var outNames: [String] = []
            var outIndex: [String: Int32] = [:]
            var map = [Int32](repeating: -1, count: names.count)
            for (i, n) in transformed.enumerated() {
                if let o = outIndex[n] {
                    map[i] = policy == .sum ? o : -1
                } else {
                    let o = Int32(outNames.count)
                    outIndex[n] = o
                    outNames.append(n)
                    map[i] = o
                }
            }
            warnings.append("\(path): \(policy == .sum ? "summed" : "kept the first of") \(clashes.count) duplicated gene name(s)")
            return Result(names: outNames, columnMap: map, merges: policy == .sum, clashes: clashes, warnings: warnings,
                          upperCased: upperCase, style: style)
        }
    }
}

extension GeneNaming.Result {
    /// Applies the column map to a block: renumbers columns, drops unmapped ones and, when
    /// genes are merged, adds up the values that land in one column.
    public func remap(_ block: CSRRows) -> CSRRows {
        var out = CSRRows(firstRow: block.firstRow, indptr: [0], indices: [], values: [])
        out.indptr.reserveCapacity(block.rowCount + 1)
        out.indices.reserveCapacity(block.storedCount)
        out.values.reserveCapacity(block.storedCount)
        var slot = [Int](repeating: -1, count: merges ? names.count : 0)
        for r in 0..<block.rowCount {
            let rowStart = out.indices.count
            for k in block.range(ofRow: r) {
                let c = columnMap[Int(block.indices[k])]
                guard c >= 0 else { continue }
                if merges {
                    let s = slot[Int(c)]
                    if s >= rowStart { out.values[s] += block.values[k]; continue }
                    slot[Int(c)] = out.indices.count
                }
                out.indices.append(c)
                out.values.append(block.values[k])
            }
            out.indptr.append(out.indices.count)
        }
        return out
    }
}
