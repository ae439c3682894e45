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
        let organism = options.organism
        let style = options.style
        let value: (String) -> String?
        // Code points of each sentence within a value: the whole value, or each cell's sentence
        // within the multi-cell block.
        let sentences: (String, String) -> [Range<Int>]
        let names: [String]
        switch task.kind {
        case .singleCell:
            let cell = table.cells[unit.first]
            names = [cell.name]
            value = PromptValues.singleCell(cell, topK: options.topK, organism: organism, labelColumn: options.labelColumn, style: style)
            sentences = { name, v in name == "cell_sentence" ? [0..<v.unicodeScalars.count] : [] }
        case .multiCell:
            let cells = unit.cells.map { table.cells[$0] }
            let topK = options.topK
            let labelColumn = options.groupLabelColumn ?? options.groupColumns[0]
            names = cells.map(\.name)
            value = PromptValues.multiCell(cells, topK: topK, organism: organism, label: cells[0].fields[labelColumn], text: self.text(for: cells), style: style)
            sentences = { name, _ in name == "cell_sentences" ? style.cellBlockSpans(cells.map { $0.topGenes(topK).text }) : [] }
        case .perturbation:
            let control = table.cells[unit.first], perturbed = table.cells[unit.second]
            names = [control.name, perturbed.name]
            value = PromptValues.perturbation(control: control, perturbed: perturbed, topK: options.topK,
                                              perturbation: unit.perturbation ?? "", organism: organism, labelColumn: options.labelColumn,
                                              missingLabel: labelStandIn)
            sentences = { name, v in name == "control_sentence" || name == "perturbed_sentence" ? [0..<v.unicodeScalars.count] : [] }
        }
        let (input, spans) = try style.render(template, value, marking: sentences)
        let response = try style.render(task.responseTemplate, value)
        return PromptExample(task: task.name, split: SplitPlan.splitNames[unit.split], cellNames: names, modelInput: input,
                             response: response, inputSentenceSpans: spans, promptFormat: options.promptFormat)
    }
}
