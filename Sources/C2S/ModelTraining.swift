import Foundation
import Prompts
import CellSentences
import SingleCell
import Transformer

/// Everything a training run needs: the prompts, where the model comes from, the data and
/// loss settings, the optimisation (``TrainingOptions``) and where the result goes.
public struct ModelTrainingSettings: Sendable {
    /// Where the model comes from.
    public enum Source: Sendable {
        /// A Hugging Face folder to fine-tune.
        case pretrained(folder: String)
        /// A new model from this `config.json`.
        case config(path: String)
        /// A new model from sizes alone.
        case new(TrainingModelSource.NewModelSizes)
    }

    /// The prompt dataset (JSONL from `c2s prompts`).
    public var prompts: String
    /// The output folder (final model, checkpoints, metrics).
    public var output: String
    public var source: Source
    /// The tokenizer folder (default for a pretrained model: its own folder; required otherwise).
    public var tokenizer: String?
    /// The split trained on, and the one validated on (nil: none).
    public var split = "train"
    public var validationSplit: String? = "validation"
    /// Validate on the first N examples of the validation split only (in file order; `c2s
    /// prompts` writes its tasks mixed at random), so that validation costs the same whatever
    /// the data's size; nil: all of them.
    public var validationLimit: Int?
    /// The sentence dataset the prompts came from: its manifest and vocabulary are copied beside
    /// the model, and its label column read for conditioned tasks.
    public var sentences: String?
    /// The obs column the prompts' labels came from.
    public var labelColumn: String?
    /// New models: start the output head's gene rows from principal components of the
    /// training cells' first N genes (``GeneHeadInitialization``); nil leaves them random.
    public var geneHeadGenes: Int?
    /// Fine-tuning with a tokenizer that extends the model's own: give the model rows for the
    /// new token ids (``VocabularyGrowth``).
    public var growVocabulary = false
    /// Train LoRA adapters on the pretrained model instead of all its weights (the base stays
    /// frozen; the output folder holds the adapters as PEFT saves them).
    public var lora: LoRAConfiguration?
    /// LoRA: the precision the frozen base is kept in. `auto` keeps a checkpoint stored in
    /// bf16 in bf16 (half the memory, products on AVX512-BF16); full training is always fp32.
    public var baseWeights: WeightPrecision = .auto
    /// Longest example in tokens (default and at most: the model's context).
    public var maxLength: Int?
    public var lossOn: LossTarget = .response
    public var options = TrainingOptions()
    public var evalEvery: Int?
    public var saveEvery: Int?
    /// A checkpoint folder to continue from exactly.
    public var resume: String?
    /// Replace an existing output folder.
    public var overwrite = false
    /// Recorded in trainer_state.json (e.g. the command line).
    public var command = ""
    /// The ranks of a data-parallel run (`DistributedLaunch.join` in the Distributed module);
    /// every rank runs this workflow on the same inputs, and only rank 0 touches the output.
    public var communicator: any Communicator = SingleProcess()

    public init(prompts: String, output: String, source: Source) {
        self.prompts = prompts
        self.output = output
        self.source = source
    }
}

/// What a run is about to do, once every input has been read and checked (before the output
/// folder is touched).
public struct ModelTrainingPlan: Sendable {
    /// "fine-tuning MODEL" or "new gpt_neox model (…)".
    public var description: String
    public var trainExamples: Int
    public var validationExamples: Int
    public var train: TruncationReport
    public var validation: TruncationReport
    /// Longest example in tokens.
    public var maxLength: Int
    public var totalSteps: Int
    /// The step a resumed run starts after (0 for a new run).
    public var firstStep: Int
    /// The output head's gene rows, when initialised from the training cells.
    public var geneHead: GeneHeadInitialization.Summary?
    /// The published checkpoint format the prompts are in (nil: c2s's own).
    public var promptFormat: String?
}

/// How a run ended.
public struct ModelTrainingResult: Sendable {
    public var steps: Int
    /// Training loss of the last step (NaN when no step ran).
    public var lastLoss: Double
    public var lastValidation: ValidationMetrics?
    /// Every step and validation of the run, as metrics.jsonl holds them.
    public var records: [MetricsRecord]
    public var seconds: Double
}

/// Training or fine-tuning a causal language model on a prompt dataset, from the prompts to the
/// saved Hugging Face folder with c2s.json: the workflow behind `c2s train`.
///
/// Everything that can be wrong with the inputs is found before the output folder is touched,
/// so bad input leaves nothing behind.
public enum ModelTraining {
    public enum Event: Sendable {
        /// Inputs checked, model ready: what the run will do.
        case planned(ModelTrainingPlan)
        case step(StepMetrics)
        case validation(ValidationMetrics)
        case checkpoint(String)
        /// Something the user should know that is not an error (printed even when quiet when
        /// it comes with a failure: where an output being replaced was kept).
        case note(String)
    }

    public static func run(_ settings: ModelTrainingSettings, onEvent: @escaping (Event) -> Void = { _ in }) throws -> ModelTrainingResult {
        let started = Date()
        guard FileManager.default.isReadableFile(atPath: settings.prompts) else { throw FileError(settings.prompts, "cannot be read") }
        if let sentences = settings.sentences { try C2SMetadata.checkSentenceDataset(sentences) }
        if let labelColumn = settings.labelColumn, let sentences = settings.sentences, !TrainingCells.isCorpus(sentences) {
            let columns = try DatasetManifest.read(folder: sentences).obsColumns
            guard columns.contains(labelColumn) else {
                throw FileError((sentences as NSString).appendingPathComponent("manifest.json"),
                                "the dataset has no obs column '\(labelColumn)' (its columns: \(columns.isEmpty ? "none" : columns.joined(separator: ", "))); --label-column names the column the prompts' labels came from")
            }
        }
        if let lora = settings.lora {
            guard case .pretrained = settings.source else {
                throw TrainingError.invalidInput("LoRA adapts a pretrained model: give it with --model (a new model has nothing to adapt)")
            }
            guard settings.geneHeadGenes == nil else {
                throw TrainingError.invalidInput("gene head initialisation is for new models; LoRA keeps the pretrained model's head")
            }
            let problems = lora.problems()
            guard problems.isEmpty else { throw TrainingError.invalidInput(problems.joined(separator: "; ")) }
        } else if settings.baseWeights == .bf16 {
            throw TrainingError.invalidInput("bf16 base weights are for LoRA (--lora-rank): full training updates fp32 weights")
        }
        if let n = settings.geneHeadGenes {
            if case .pretrained = settings.source {
                throw TrainingError.invalidInput("gene head initialisation is for new models (--new-model or --config); a pretrained model keeps its head")
            }
            guard settings.sentences != nil else {
                throw TrainingError.invalidInput("gene head initialisation reads the training cells' sentences: give the sentence dataset with --sentences")
            }
            guard n >= 1 else { throw TrainingError.invalidInput("gene head initialisation needs at least 1 gene per cell, not \(n)") }
        }
        var inputs = [settings.prompts] + [settings.tokenizer, settings.sentences].compactMap { $0 }
        switch settings.source {
        case .pretrained(let folder): inputs.append(folder)
        case .config(let path): inputs.append(path)
        case .new: break
        }
        // Rank 0 alone claims the output folder; the others would find it already claimed.
        let leader = settings.communicator.isLeader
        let output = leader ? try TrainingOutputFolder(path: settings.output, resume: settings.resume, overwrite: settings.overwrite, inputs: inputs) : nil

        let source: TrainingModelSource
        switch settings.source {
        case .pretrained(let folder):
            source = try TrainingModelSource.pretrained(folder: folder, tokenizerFolder: settings.tokenizer,
                                                        weights: settings.lora == nil ? .fp32 : settings.baseWeights,
                                                        growVocabulary: settings.growVocabulary, seed: settings.options.seed)
        case .config(let path):
            source = try TrainingModelSource.new(configPath: path, sizes: nil, tokenizerFolder: try tokenizerFolder(settings), seed: settings.options.seed)
        case .new(let sizes):
            source = try TrainingModelSource.new(configPath: nil, sizes: sizes, tokenizerFolder: try tokenizerFolder(settings), seed: settings.options.seed)
        }
        Matmul.setThreads(forMatrices: source.model.parameters.matrixPrecision)
        // The prompts in one streaming pass (prompts in a published checkpoint's format are
        // joined as that family was trained): the training examples go to a file, so memory
        // does not grow with the training set's tokens.
        let info = source.model.info
        let length = min(settings.maxLength ?? info.contextLength, info.contextLength)
        let prompts = try StreamedPrompts.read(
            path: settings.prompts, split: settings.split, validationSplit: settings.validationSplit,
            validationLimit: settings.validationLimit,
            seen: TrainingTasksSeen(conditionedCells: settings.labelColumn != nil && settings.sentences != nil,
                                    cellNames: settings.geneHeadGenes != nil && settings.resume == nil),
            group: settings.communicator) { join in
            PromptEncoder(tokenizer: source.tokenizer, eosTokenID: source.eosTokenID, maxLength: length, lossOn: settings.lossOn, join: join)
        }
        guard prompts.train.count > 0 else {
            throw FileError(settings.prompts, "has no examples in split \"\(settings.split)\" (splits: \(prompts.splitCounts.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))")
        }
        let promptFormat = prompts.promptFormat, join = prompts.join
        // Before the trainer reads the weights; a resumed run takes them from its checkpoint.
        var geneHead: GeneHeadInitialization.Summary?
        if let n = settings.geneHeadGenes, let sentences = settings.sentences, settings.resume == nil {
            let names = prompts.seen.cellNames
            let cells = try TrainingCells.load(sentences, maxGenes: n, labelColumn: nil, labelField: nil).filter { names.contains($0.name) }
            geneHead = try GeneHeadInitialization.apply(to: source.model, tokenizer: source.tokenizer, cells: cells, topGenes: n)
        }
        // LoRA: the adapters are the model the trainer sees (new ones start as the base; a
        // resumed run reads them from its checkpoint).
        var trained: any TrainableModel = source.model
        var adapted: LowRankAdaptedModel?
        if let lora = settings.lora {
            let model = try LowRankAdaptedModel(base: source.model, configuration: lora)
            if settings.resume == nil { model.initializeParameters(seed: settings.options.seed) }
            adapted = model
            trained = model
        }
        let trainer = try Trainer(model: trained, examples: prompts.train, options: settings.options, communicator: settings.communicator)

        var history: [String] = []
        if let resume = settings.resume { history = try TrainingCheckpoint.restore(trainer, from: resume) }

        var counts = [settings.split: prompts.train.count]
        if let v = settings.validationSplit { counts[v] = prompts.validation.count }
        // A corpus is not a sentence dataset: it has no one conversion (inverse transform) for
        // the model folder to stand in for, so nothing of it is copied or recorded as one.
        let corpus = settings.sentences.map(TrainingCells.isCorpus) ?? false
        let dataset = corpus ? nil : settings.sentences
        var modelInfo = C2SMetadata(seen: prompts.seen, examples: counts, lossOn: settings.lossOn, maxLength: length,
                                     sentenceDatasetPath: dataset.map { URL(fileURLWithPath: $0).standardizedFileURL.path },
                                     truncation: prompts.trainReport)
        modelInfo.labelColumn = settings.labelColumn
        modelInfo.promptFormat = promptFormat
        modelInfo.separator = join.separator
        // Read on its own: a dataset whose manifest this version cannot fully decode still trains.
        modelInfo.organism = settings.sentences.flatMap { corpus ? TrainingCells.corpusOrganism($0) : DatasetManifest.organism(folder: $0) }
        if let labelColumn = settings.labelColumn, let sentences = settings.sentences, !prompts.seen.conditionedCells.isEmpty {
            // Generation prompts carry their label only inside the text: read it from the
            // cells the examples came from (a corpus's from each source's own label column).
            let field = "\u{0}label"
            let cells = try TrainingCells.load(sentences, maxGenes: 1, labelColumn: labelColumn, labelField: field)
            var label: [String: String] = [:]
            for c in cells { if let v = c.fields[field] { label[c.name] = v } }
            modelInfo.addConditionLabels(seen: prompts.seen, cellLabel: { label[$0] })
        }
        // Fine-tuning a c2s model without --sentences: the new model keeps its base's sentence
        // dataset (the copies of manifest.json and vocab.tsv, the organism, the label column),
        // so task commands convert and prompt for it as they did for the base.
        var inherited: [(String, String)] = []
        if settings.sentences == nil, case .pretrained(let folder) = settings.source, let base = try C2SMetadata.read(folder: folder) {
            let copies = C2SMetadata.copiedDatasetFiles.map { ($0, (folder as NSString).appendingPathComponent($0)) }
            if copies.allSatisfy({ FileManager.default.fileExists(atPath: $0.1) }) {
                inherited = copies
                modelInfo.sentenceDatasetPath = base.sentenceDatasetPath
            }
            modelInfo.organism = modelInfo.organism ?? base.organism
            modelInfo.labelColumn = modelInfo.labelColumn ?? base.labelColumn
        }
        var contents = ModelFolderContents(config: source.config, generationConfig: source.generationConfig,
                                           copiedFiles: source.tokenizerFiles + inherited, extraFiles: [(C2SMetadata.fileName, try modelInfo.json())])
        if let sentences = dataset {
            contents.copiedFiles += C2SMetadata.copiedDatasetFiles.map { ($0, (sentences as NSString).appendingPathComponent($0)) }
        }
        if let adapted, case .pretrained(let folder) = settings.source {
            contents.adapterConfig = adapted.configuration.peftJSON(
                baseModel: URL(fileURLWithPath: folder).standardizedFileURL.path, adaptedModules: LowRankAdaptedModel.targetNames(source.model).filter { name in
                    adapted.adaptedModules.contains { $0.hasSuffix("." + name) }
                }, fanInFanOut: source.model.info.modelType == "gpt2")
        }

        onEvent(.planned(ModelTrainingPlan(
            description: adapted.map { a in
                "LoRA on \(source.description.replacingOccurrences(of: "fine-tuning ", with: "")): rank \(a.configuration.rank), alpha \(a.configuration.alpha), \(a.adaptedModules.count) modules, \(a.parameters.count) trainable parameters (the base's \(source.model.parameters.count) frozen)"
            } ?? source.description, trainExamples: prompts.train.count, validationExamples: prompts.validation.count,
            train: prompts.trainReport, validation: prompts.validationReport, maxLength: length, totalSteps: trainer.plan.totalSteps,
            firstStep: trainer.completedSteps, geneHead: geneHead, promptFormat: promptFormat)))
        try output?.create()
        do {
            let result = try runLoop(trainer: trainer, validation: prompts.validation, settings: settings, contents: contents,
                                   tokenizerFolder: source.tokenizerFolder, history: history, started: started, onEvent: onEvent)
            output?.finish()
            return result
        } catch {
            if let note = output?.restore() { onEvent(.note(note)) }
            throw error
        }
    }

    /// The loop itself, in the created output folder.
    private static func runLoop(trainer: Trainer, validation: any TrainingExampleSource, settings: ModelTrainingSettings, contents: ModelFolderContents,
                              tokenizerFolder: String, history: [String], started: Date,
                              onEvent: @escaping (Event) -> Void) throws -> ModelTrainingResult {
        let loop = try TrainingLoop(trainer: trainer, validation: validation, evalEvery: settings.evalEvery,
                                    saveEvery: settings.saveEvery, output: settings.output, contents: contents,
                                    arguments: arguments(settings, tokenizerFolder: tokenizerFolder), history: history)
        var lastLoss = Double.nan
        loop.onEvent = { event in
            switch event {
            case .step(let m):
                lastLoss = m.loss
                onEvent(.step(m))
            case .validation(let v): onEvent(.validation(v))
            case .checkpoint(let folder): onEvent(.checkpoint(folder))
            }
        }
        try loop.run()
        if trainer.communicator.isLeader { try AtomicTextFile.write(TrainLossCurve.svg(loop.records, title: "c2s train: \((settings.prompts as NSString).lastPathComponent)"),
                                 to: (settings.output as NSString).appendingPathComponent(TrainLossCurve.fileName)) }
        let lastValidation = loop.records.reversed().lazy.compactMap { r -> ValidationMetrics? in
            if case .validation(let v) = r { return v } else { return nil }
        }.first
        return ModelTrainingResult(steps: trainer.completedSteps, lastLoss: lastLoss, lastValidation: lastValidation,
                                   records: loop.records, seconds: Date().timeIntervalSince(started))
    }

    private static func tokenizerFolder(_ settings: ModelTrainingSettings) throws -> String {
        guard let folder = settings.tokenizer else {
            throw TrainingError.invalidInput("a new model needs a tokenizer folder (--tokenizer DIR, e.g. from 'c2s tokenizer train')")
        }
        return folder
    }

    /// The settings recorded in trainer_state.json.
    static func arguments(_ s: ModelTrainingSettings, tokenizerFolder: String) -> [String: String] {
        var a = ["command": s.command, "prompts": s.prompts, "split": s.split, "validation_split": s.validationSplit ?? "none",
                 "loss_on": s.lossOn.rawValue, "tokenizer": tokenizerFolder]
        switch s.source {
        case .pretrained(let folder): a["model"] = folder
        case .config(let path): a["config"] = path
        case .new(let sizes): a["new_model"] = sizes.type
        }
        if let sentences = s.sentences { a["sentences"] = sentences }
        if let maxLength = s.maxLength { a["max_length"] = String(maxLength) }
        if let n = s.validationLimit { a["eval_examples"] = String(n) }
        if let resume = s.resume { a["resume"] = resume }
        if s.communicator.size > 1 { a["ranks"] = String(s.communicator.size) }
        if let n = s.geneHeadGenes { a["gene_head_genes"] = String(n) }
        if s.growVocabulary { a["grow_vocabulary"] = "true" }
        if let lora = s.lora {
            a["lora_rank"] = String(lora.rank)
            a["lora_alpha"] = String(lora.alpha)
            a["lora_targets"] = lora.targets.joined(separator: ",")
            a["lora_dropout"] = String(lora.dropout)
            a["base_weights"] = s.baseWeights.rawValue
        }
        return a
    }
}
