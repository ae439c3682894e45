import Foundation
import Mechanics
import Prompts
import SingleCell

/// `manifest.json` of a corpus folder: every source with where it came from, its checksum,
/// its weight and what it contributed; the settings; and the union vocabulary's summary.
public struct CorpusManifest: Codable, Sendable, Equatable {
    /// The value of `format` that marks a folder as `c2s corpus` output.
    public static let formatName = "c2s-corpus"

    /// One source dataset.
    public struct Source: Codable, Sendable, Equatable {
        public var dataset: String
        public var path: String
        public var absolutePath: String
        public var cells: Int
        public var weight: Double
        /// Examples it contributed, per split (`train`, `validation`, `test`; every split listed).
        public var examples: [String: Int]
        /// Examples per task and split.
        public var examplesByTask: [String: [String: Int]]
        /// Its cells per split.
        public var cellsBySplit: [String: Int]
        public var organism: String
        /// The column its prompts' `{label}` comes from.
        public var labelColumn: String
        /// SHA-256 over `checksumFiles` (each name, then its bytes, in this order).
        public var sha256: String
        public var checksumFiles: [String]
        public var genes: Int
        /// Genes no other source has, and the union's genes this one lacks.
        public var genesOnlyHere: Int
        public var genesMissing: Int
        public var notes: [String]

        enum CodingKeys: String, CodingKey {
            case dataset, path, absolutePath = "absolute_path", cells, weight, examples
            case examplesByTask = "examples_by_task", cellsBySplit = "cells_by_split", organism, labelColumn = "label_column", sha256
            case checksumFiles = "checksum_files", genes, genesOnlyHere = "genes_only_here"
            case genesMissing = "genes_missing", notes
        }
    }

    /// The union vocabulary in brief (`vocab.tsv` and `genes.tsv` hold it whole).
    public struct Vocabulary: Codable, Sendable, Equatable {
        public var genes: Int
        public var inEveryDataset: Int
        public var inSomeDatasets: Int
        /// The union's spelling (convert's judgement) and whether spellings differing only in
        /// case were kept apart.
        public var nameStyle: String
        public var keptCase: Bool
        public var caseVariants: [CorpusVocabulary.CaseVariant]

        enum CodingKeys: String, CodingKey {
            case genes, inEveryDataset = "in_every_dataset", inSomeDatasets = "in_some_datasets"
            case nameStyle = "name_style", keptCase = "kept_case", caseVariants = "case_variants"
        }
    }

    /// The settings that decide the examples and the splits.
    public struct Settings: Codable, Sendable, Equatable {
        public var tasks: [String]
        public var promptFormat: String
        public var topK: Int
        public var examples: Int?
        public var seed: UInt64
        public var splitFractions: SplitFractions
        public var groupBy: [String]
        public var stratifyBy: String?
        /// The split plan reused (`--splits`), if any.
        public var reusedSplits: String?
        /// How weights turn into examples, in words.
        public var weighting: String

        enum CodingKeys: String, CodingKey {
            case tasks, promptFormat = "prompt_format", topK = "top_k", examples, seed
            case splitFractions = "split_fractions", groupBy = "group_by", stratifyBy = "stratify_by"
            case reusedSplits = "reused_splits", weighting
        }
    }

    public var format = CorpusManifest.formatName
    public var formatVersion = 1
    public var tool = "c2s"
    public var toolVersion = C2SVersion.string
    public var created: String
    /// The files of the corpus folder, by role.
    public var files: [String: String]
    public var settings: Settings
    public var sources: [Source]
    /// Examples per split over all sources.
    public var examples: [String: Int]
    public var vocabulary: Vocabulary

    enum CodingKeys: String, CodingKey {
        case format, formatVersion = "format_version", tool, toolVersion = "tool_version", created, files
        case settings, sources, examples, vocabulary
    }

    /// Pretty, key-sorted JSON.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads `manifest.json` of a corpus folder.
    public static func read(folder: String) throws -> CorpusManifest {
        let path = folder + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: path) else { throw FileError(path, "no manifest.json (is it a folder written by 'c2s corpus'?)") }
        do { return try JSONDecoder().decode(CorpusManifest.self, from: data) } catch {
            throw FileError(path, "not a corpus manifest (\(error))")
        }
    }

    /// Whether `folder` holds `c2s corpus` output (its manifest names the corpus format), so
    /// that `--overwrite` replaces only that and never a user's folder, nor another command's.
    public static func isCorpus(folder: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: folder + "/manifest.json"),
              let found = try? JSONDecoder().decode(FormatOnly.self, from: data) else { return false }
        return found.format == formatName
    }

    /// The manifest's `format` key alone (an object without it reads as nil).
    private struct FormatOnly: Decodable {
        var format: String?
        init(from decoder: Decoder) throws {
            format = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(String.self, forKey: .format)
        }
    }
}
