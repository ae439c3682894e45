import Foundation
import SingleCell

/// `manifest.json` of a sentence dataset: where the data came from, every setting used, and
/// what came out, so a dataset can be audited and rebuilt.
public struct DatasetManifest: Codable, Sendable, Equatable {
    public struct Input: Codable, Sendable, Equatable {
        public var path: String
        public var absolutePath: String
        public var format: String
        public var matrix: String
        public var sha256: String
        public var bytes: Int64
        public var cells: Int
        public var genes: Int
        /// How the input was read, so that `c2s fit` and reports can read it again.
        public var geneColumn: String?
        public var genesAsRows: Bool = false
        /// The files of an input made of several (a list or a folder of files), in the order
        /// their cells were read; absent for one file, whose checksum is `sha256`.
        public var parts: [Part]?
        enum CodingKeys: String, CodingKey {
            case path, absolutePath = "absolute_path", format, matrix, sha256, bytes, cells, genes
            case geneColumn = "gene_column", genesAsRows = "genes_as_rows", parts
        }
    }

    /// One file of an input made of several.
    public struct Part: Codable, Sendable, Equatable {
        public var path: String
        public var absolutePath: String
        public var sha256: String
        public var bytes: Int64
        public var cells: Int
        enum CodingKeys: String, CodingKey {
            case path, absolutePath = "absolute_path", sha256, bytes, cells
        }
        public init(path: String, absolutePath: String, sha256: String, bytes: Int64, cells: Int) {
            self.path = path
            self.absolutePath = absolutePath
            self.sha256 = sha256
            self.bytes = bytes
            self.cells = cells
        }
    }

    public struct Sentences: Codable, Sendable, Equatable {
        public var seed: UInt64
        /// Stored as its sentence (``TieOrder/manifestText``).
        public var tieBreak: TieOrder
        public var upperCase: Bool
        public var onDuplicate: String
        public var geneNameClashes: [GeneNameClash]
        public var delimiter: String
        public var meanLength: Double
        public var minLength: Int
        public var maxLength: Int
        /// How the input spelled its gene names (absent in datasets made before it was recorded).
        public var geneNameStyle: GeneNameStyle?
        enum CodingKeys: String, CodingKey {
            case seed, tieBreak = "tie_break", upperCase = "upper_case", onDuplicate = "on_duplicate"
            case geneNameClashes = "gene_name_clashes", delimiter, meanLength = "mean_length"
            case minLength = "min_length", maxLength = "max_length", geneNameStyle = "gene_name_style"
        }

        public init(seed: UInt64, tieBreak: TieOrder, upperCase: Bool, onDuplicate: String, geneNameClashes: [GeneNameClash],
                    delimiter: String, meanLength: Double, minLength: Int, maxLength: Int, geneNameStyle: GeneNameStyle?) {
            self.seed = seed
            self.tieBreak = tieBreak
            self.upperCase = upperCase
            self.onDuplicate = onDuplicate
            self.geneNameClashes = geneNameClashes
            self.delimiter = delimiter
            self.meanLength = meanLength
            self.minLength = minLength
            self.maxLength = maxLength
            self.geneNameStyle = geneNameStyle
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            seed = try c.decode(UInt64.self, forKey: .seed)
            let text = try c.decode(String.self, forKey: .tieBreak)
            guard let order = TieOrder(manifestText: text) else {
                throw DecodingError.dataCorruptedError(forKey: .tieBreak, in: c, debugDescription: "unknown tie order '\(text)'")
            }
            tieBreak = order
            upperCase = try c.decode(Bool.self, forKey: .upperCase)
            onDuplicate = try c.decode(String.self, forKey: .onDuplicate)
            geneNameClashes = try c.decode([GeneNameClash].self, forKey: .geneNameClashes)
            delimiter = try c.decode(String.self, forKey: .delimiter)
            meanLength = try c.decode(Double.self, forKey: .meanLength)
            minLength = try c.decode(Int.self, forKey: .minLength)
            maxLength = try c.decode(Int.self, forKey: .maxLength)
            geneNameStyle = try c.decodeIfPresent(GeneNameStyle.self, forKey: .geneNameStyle)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(seed, forKey: .seed)
            try c.encode(tieBreak.manifestText, forKey: .tieBreak)
            try c.encode(upperCase, forKey: .upperCase)
            try c.encode(onDuplicate, forKey: .onDuplicate)
            try c.encode(geneNameClashes, forKey: .geneNameClashes)
            try c.encode(delimiter, forKey: .delimiter)
            try c.encode(meanLength, forKey: .meanLength)
            try c.encode(minLength, forKey: .minLength)
            try c.encode(maxLength, forKey: .maxLength)
            try c.encodeIfPresent(geneNameStyle, forKey: .geneNameStyle)
        }
    }

    public var formatVersion: Int = 1
    public var tool: String
    public var toolVersion: String
    public var created: String
    public var input: Input
    public var preprocessing: PreprocessingOptions
    public var targetSumUsed: Double?
    public var counts: PreprocessingCounts
    public var sentences: Sentences
    public var obsColumns: [String]
    public var files: [String: String]
    public var warnings: [String]
    public var seconds: Double
    /// The fitted map from sentence position back to expression (absent if not fitted).
    public var inverseTransform: InverseTransformFit?
    /// The organism the cells come from, as prompts name it (`c2s prompts` and `c2s train`
    /// read it): given with `convert --organism`, else detected from the gene names' style;
    /// absent when neither says (older datasets, mixed names).
    public var organism: String?
    /// Where `organism` came from: "given" or "detected from gene names".
    public var organismSource: String?
    /// Set when the sentences are another dataset's kept to a subset of its genes (`c2s
    /// subset-genes`); absent for a dataset `convert` wrote.
    public var geneSubset: GeneSubset?

    /// How a dataset's sentences were kept to a subset of genes: each sentence is the original
    /// one with the other genes left out, the rest in their original order.
    public struct GeneSubset: Codable, Sendable, Equatable {
        /// The dataset folder the sentences come from, as given and absolute.
        public var from: String
        public var fromAbsolute: String
        /// How the genes were chosen, in words.
        public var chosenBy: String
        /// Genes asked for, and how many of them the sentences hold (the subset).
        public var genesRequested: Int
        public var genesKept: Int
        /// The subset's file in the folder, one gene per line.
        public var file: String
        /// The subset, in the dataset's gene order (also in `file`; here so that a model's copy
        /// of the manifest says which genes it reads).
        public var genes: [String]

        public init(from: String, fromAbsolute: String, chosenBy: String, genesRequested: Int, genesKept: Int, file: String, genes: [String]) {
            self.genes = genes
            self.from = from
            self.fromAbsolute = fromAbsolute
            self.chosenBy = chosenBy
            self.genesRequested = genesRequested
            self.genesKept = genesKept
            self.file = file
        }

        enum CodingKeys: String, CodingKey {
            case from, fromAbsolute = "from_absolute", chosenBy = "chosen_by", genesRequested = "genes_requested"
            case genesKept = "genes_kept", file, genes
        }
    }

    enum CodingKeys: String, CodingKey {
        case formatVersion = "format_version", tool, toolVersion = "tool_version", created, input
        case preprocessing, targetSumUsed = "target_sum_used", counts, sentences
        case obsColumns = "obs_columns", files, warnings, seconds, inverseTransform = "inverse_transform"
        case organism, organismSource = "organism_source", geneSubset = "gene_subset"
    }

    /// Pretty, key-sorted JSON.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Rewrites `manifest.json` of `folder` atomically.
    public func write(folder: String) throws {
        try AtomicTextFile.write(try encoded(), to: folder + "/manifest.json")
    }

    /// The `organism` of the manifest in `folder`, read on its own: nil when the file, the key
    /// or a valid JSON object is missing. For readers that only want this one fact and must
    /// not fail on a manifest written by an older or newer version (as `read` would).
    public static func organism(folder: String) -> String? {
        guard let data = FileManager.default.contents(atPath: folder + "/manifest.json"),
              let found = try? JSONDecoder().decode(OrganismOnly.self, from: data) else { return nil }
        return found.organism
    }

    /// The manifest's `organism` key alone (an object without it reads as nil).
    private struct OrganismOnly: Decodable {
        var organism: String?
        init(from decoder: Decoder) throws {
            organism = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .organism)
        }
    }

    /// Reads the manifest of the dataset folder `folder`.
    public static func read(folder: String) throws -> DatasetManifest {
        let path = folder + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw FileError(path, "no manifest.json in this folder (is it a c2s sentence dataset?)")
        }
        do {
            return try JSONDecoder().decode(DatasetManifest.self, from: data)
        } catch {
            throw FileError(path, "manifest.json is not valid (\(error))")
        }
    }
}
