import CellSentences
import Mechanics
import SingleCell

extension PromptBuilder {
    /// The input template of example number `example`: chosen by (seed, example number), so an
    /// example's text does not depend on threads or chunks.
    func templateIndex(_ task: TaskDefinition, example: Int) -> Int {
        Self.templateIndex(templates: task.inputTemplates.count, seed: options.seed, example: example)
    }

    static func templateIndex(templates: Int, seed: UInt64, example: Int) -> Int {
        var rng = SplitMix64(seed: SplitMix64.derive(seed, UInt64(example)))
        return Int(rng.next() % UInt64(templates))
    }

    /// One example: a template chosen by (seed, example number), filled from the unit's cells.
    ///
    /// This is the plain String rendering, the definition of what `buildLines` writes as bytes.
    func render(_ task: TaskDefinition, _ unit: Unit, example: Int) throws -> PromptExample {
        let template = task.inputTemplates[templateIndex(task, example: example)]
        let real = slots(task, unit) { table.cells[$0] }
        // With rank noise, a training input shows a noisy measurement of its cells; the response
        // (a generated sentence, a perturbed cell) stays the real one.
        let shown = addsRankNoise(task, unit)
            ? slots(task, unit) { options.rankNoise.applied(to: table.cells[$0], seed: rankNoiseSeed(example: example, cell: $0), keeping: options.topK) }
            : real
        let (input, spans) = try options.style.render(template, shown.value, marking: shown.sentences)
        let response = try options.style.render(task.responseTemplate, real.value)
        return PromptExample(task: task.name, split: SplitPlan.splitNames[unit.split], cellNames: real.names, modelInput: input,
                             response: response, inputSentenceSpans: spans, promptFormat: options.promptFormat)
    }

    /// Whether the example's input sentences get `options.rankNoise`: training examples only,
    /// so validation and test prompts show the cells as measured, and only tasks whose input
    /// shows a sentence (a generation prompt's input does not; its response stays the real cell).
    func addsRankNoise(_ task: TaskDefinition, _ unit: Unit) -> Bool {
        options.rankNoise.isActive && unit.split == 0 && task.inputShowsSentence
    }

    /// The noise stream of cell `cell` in example number `example`.
    func rankNoiseSeed(example: Int, cell: Int) -> UInt64 {
        SplitMix64.derive(SplitMix64.derive(options.seed ^ 0x52A4_C0DE, UInt64(example)), UInt64(cell))
    }

    /// What a unit's template slots are filled with, its cells given by `cell` (by index).
    private func slots(_ task: TaskDefinition, _ unit: Unit, cell: (Int) -> CellRecord) -> Slots {
        let organism = options.organism
        let style = options.style
        switch task.kind {
        case .singleCell:
            let c = cell(unit.first)
            return Slots(value: PromptValues.singleCell(c, topK: options.topK, organism: organism, labelColumn: options.labelColumn, style: style),
                         sentences: { name, v in name == "cell_sentence" ? [0..<v.unicodeScalars.count] : [] },
                         names: [c.name])
        case .multiCell:
            let cells = unit.cells.map(cell)
            let topK = options.topK
            let labelColumn = options.groupLabelColumn ?? options.groupColumns[0]
            return Slots(value: PromptValues.multiCell(cells, topK: topK, organism: organism, label: cells[0].fields[labelColumn], text: self.text(for: cells), style: style),
                         sentences: { name, _ in name == "cell_sentences" ? style.cellBlockSpans(cells.map { $0.topGenes(topK).text }) : [] },
                         names: cells.map(\.name))
        case .perturbation:
            let control = cell(unit.first), perturbed = cell(unit.second)
            return Slots(value: PromptValues.perturbation(control: control, perturbed: perturbed, topK: options.topK,
                                                          perturbation: unit.perturbation ?? "", organism: organism, labelColumn: options.labelColumn,
                                                          missingLabel: labelStandIn),
                         sentences: { name, v in name == "control_sentence" || name == "perturbed_sentence" ? [0..<v.unicodeScalars.count] : [] },
                         names: [control.name, perturbed.name])
        }
    }

    /// A template's values, where its sentences lie in them, and the unit's cell names.
    private struct Slots {
        var value: (String) -> String?
        var sentences: (String, String) -> [Range<Int>]
        var names: [String]
    }
}
