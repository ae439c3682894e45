import SingleCell

/// How close generated cells come to the cells the model was trained on, beside how close
/// held-out real cells come to them: a memorisation check.
///
/// A generator that copies its training sentences scores well on every metric computed against
/// real cells (a copied training cell *is* a real cell of its type), and oversampling small
/// types during training (label-balanced examples) makes copying more tempting. So for each
/// cell of a query set (its first `genes` genes, n of them) this finds the training cell whose
/// first n genes overlap them most (Jaccard index of the two gene sets: a sentence that stopped
/// early is compared with as many genes, and a truncated copy is still a copy) and summarises
/// that nearest overlap. Held-out real
/// cells of the same data are the reference: they were never trained on, so their nearest
/// overlap is what "a new cell of this population" looks like. Generated cells well above it
/// are near-copies; near it, new cells.
public struct TrainingOverlap: Codable, Sendable, Equatable {
    /// Where the training and held-out cells came from.
    public var source: String?
    /// Genes of each sentence compared (its first ones).
    public var genes: Int
    /// Training cells compared against.
    public var trainingCells: Int
    /// Nearest overlap at or above which a cell counts as a near-copy.
    public var nearCopyThreshold: Double
    public var generated: Summary
    /// Held-out real cells: the reference.
    public var heldOut: Summary
    /// Median nearest overlap of each label's generated and held-out cells (labels of either set).
    public var perLabel: [LabelRow]

    /// One set's nearest overlaps.
    public struct Summary: Codable, Sendable, Equatable {
        public var cells: Int
        public var mean: Double
        public var median: Double
        /// 90th percentile (linear interpolation, as numpy's default).
        public var p90: Double
        /// Share of cells whose nearest overlap is at least the near-copy threshold.
        public var nearCopies: Double
        /// Cells whose genes, in order, are the first genes of some training cell.
        public var exactCopies: Int

        enum CodingKeys: String, CodingKey {
            case cells, mean, median, p90
            case nearCopies = "near_copies", exactCopies = "exact_copies"
        }
    }

    public struct LabelRow: Codable, Sendable, Equatable {
        public var label: String
        public var generatedCells: Int
        public var generatedMedian: Double?
        public var heldOutCells: Int
        public var heldOutMedian: Double?

        enum CodingKeys: String, CodingKey {
            case label
            case generatedCells = "generated_cells", generatedMedian = "generated_median"
            case heldOutCells = "held_out_cells", heldOutMedian = "held_out_median"
        }
    }

    enum CodingKeys: String, CodingKey {
        case source, genes, generated, perLabel = "per_label"
        case trainingCells = "training_cells", nearCopyThreshold = "near_copy_threshold", heldOut = "held_out"
    }

    /// A sentence as gene words and its label (nil where the set has none).
    public typealias Cell = (words: [String], label: String?)

    /// The real cells a generation is compared with: those the model was trained on and
    /// held-out ones of the same data (the reference), with where they came from.
    public struct References: Sendable {
        public var training: [[String]]
        public var heldOut: [Cell]
        /// Where they came from, for the report ("cells.jsonl of DIR, splits train / test of FILE").
        public var source: String

        public init(training: [[String]], heldOut: [Cell], source: String) {
            self.training = training
            self.heldOut = heldOut
            self.source = source
        }
    }

    /// Compares `generated` and `heldOut` with `training`, each cell by its first `genes` words.
    public init(generated: [Cell], heldOut: [Cell], training: [[String]], genes: Int, nearCopyThreshold: Double = 0.9) throws {
        guard genes >= 1 else { throw DataError("the overlap needs at least one gene per sentence") }
        guard !training.isEmpty else { throw DataError("the overlap needs at least one training cell") }
        self.genes = genes
        self.trainingCells = training.count
        self.nearCopyThreshold = nearCopyThreshold
        var index = GeneIndex()
        let trainingIDs = training.map { index.ids(Array($0.prefix(genes))) }
        let nearest = NearestOverlap(training: trainingIDs, geneCount: index.count)
        func summarise(_ cells: [Cell]) -> (Summary, [Double]) {
            let found = cells.map { nearest.best(index.lookup(Array($0.words.prefix(genes)))) }
            return (Summary(found.map(\.overlap), threshold: nearCopyThreshold, exactCopies: found.filter(\.exactCopy).count), found.map(\.overlap))
        }
        let (g, gOverlaps) = summarise(generated)
        let (h, hOverlaps) = summarise(heldOut)
        self.generated = g
        self.heldOut = h
        var byLabel: [String: ([Double], [Double])] = [:]
        for (cell, o) in zip(generated, gOverlaps) { if let l = cell.label { byLabel[l, default: ([], [])].0.append(o) } }
        for (cell, o) in zip(heldOut, hOverlaps) { if let l = cell.label { byLabel[l, default: ([], [])].1.append(o) } }
        perLabel = byLabel.keys.sorted().map { l in
            let (a, b) = byLabel[l]!
            return LabelRow(label: l, generatedCells: a.count, generatedMedian: a.isEmpty ? nil : Quantile.median(sorted: a.sorted()),
                            heldOutCells: b.count, heldOutMedian: b.isEmpty ? nil : Quantile.median(sorted: b.sorted()))
        }
    }
}

extension TrainingOverlap.Summary {
    init(_ overlaps: [Double], threshold: Double, exactCopies: Int) {
        let sorted = overlaps.sorted()
        cells = overlaps.count
        mean = overlaps.isEmpty ? .nan : overlaps.reduce(0, +) / Double(overlaps.count)
        median = Quantile.median(sorted: sorted)
        p90 = Quantile.percentile(sorted: sorted, 0.9)
        nearCopies = overlaps.isEmpty ? .nan : Double(overlaps.filter { $0 >= threshold }.count) / Double(overlaps.count)
        self.exactCopies = exactCopies
    }
}

/// Gene words as dense ids; a query gene the training cells never had gets a negative id (it can match nothing).
private struct GeneIndex {
    private var ids: [String: Int32] = [:]
    var count: Int { ids.count }

    /// Ids of a training sentence, adding new genes.
    mutating func ids(_ words: [String]) -> [Int32] {
        words.map { w -> Int32 in
            if let id = ids[w] { return id }
            let id = Int32(ids.count)
            ids[w] = id
            return id
        }
    }

    /// Ids of a query sentence; its genes no training cell has get distinct negative ids.
    func lookup(_ words: [String]) -> [Int32] {
        var unknown: [String: Int32] = [:]
        return words.map { w in
            if let id = ids[w] { return id }
            if let id = unknown[w] { return id }
            let id = -Int32(unknown.count + 1)
            unknown[w] = id
            return id
        }
    }
}

/// The largest Jaccard index between a query's gene set and the gene set of any training
/// cell's first as many genes (a sentence of n genes is compared with the training cells' first
/// n: a generated sentence that stopped early is not penalised for it, and a truncated copy is
/// still a copy), through an inverted index (gene -> training cells holding it, at which rank),
/// so the work is the query's genes' postings rather than every pair.
private struct NearestOverlap {
    /// Training sentences (ids), each cell's count of distinct genes among its first n for
    /// every n, and each gene's postings: (cell, rank of its first occurrence there).
    let sentences: [[Int32]]
    let distinctPrefix: [[Int32]]
    let postings: [[(cell: Int32, rank: Int32)]]

    init(training: [[Int32]], geneCount: Int) {
        sentences = training
        var postings = [[(cell: Int32, rank: Int32)]](repeating: [], count: geneCount)
        var distinct: [[Int32]] = []
        for (cell, genes) in training.enumerated() {
            var seen = Set<Int32>(), counts: [Int32] = [0]
            for (rank, g) in genes.enumerated() {
                if seen.insert(g).inserted { postings[Int(g)].append((Int32(cell), Int32(rank))) }
                counts.append(Int32(seen.count))
            }
            distinct.append(counts)
        }
        self.postings = postings
        distinctPrefix = distinct
    }

    /// The nearest overlap of a query sentence (ids, negative for genes no training cell has), and
    /// whether some training cell starts with exactly this sentence.
    func best(_ query: [Int32]) -> (overlap: Double, exactCopy: Bool) {
        let n = query.count
        guard n > 0 else { return (0, false) }
        // Genes no training cell has count in the query's set size, and can match nothing.
        let distinct = Set(query)
        let querySize = Double(distinct.count)
        let unknown = distinct.contains { $0 < 0 }
        let distinctQuery = distinct.filter { $0 >= 0 }
        var shared = [Int32](repeating: 0, count: sentences.count)
        for g in distinctQuery { for p in postings[Int(g)] where Int(p.rank) < n { shared[Int(p.cell)] += 1 } }
        var best = 0.0, exact = false
        for cell in 0 ..< sentences.count where shared[cell] > 0 {
            let both = Double(shared[cell])
            let prefix = distinctPrefix[cell][min(n, sentences[cell].count)]
            best = max(best, both / (querySize + Double(prefix) - both))
            if !exact && !unknown && sentences[cell].count >= n && sentences[cell].prefix(n).elementsEqual(query) { exact = true }
        }
        return (best, exact)
    }
}
