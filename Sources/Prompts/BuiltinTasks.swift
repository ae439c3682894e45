/// The tasks c2s knows without a task file, each with many wordings of its model input.
///
/// Every input template ends with ":" or "?" (the model sees `model_input + " " + response`),
/// uses only the standard fields of its kind (`TaskDefinition.standardFields(_:)`), and avoids
/// putting an article before `{organism}` or `{label}`, whose values may start with a vowel.
public enum BuiltinTasks {
    /// Every built-in task, in a fixed order.
    public static let all: [TaskDefinition] = [
        cellTypePrediction,
        cellTypeGeneration,
        unconditionalGeneration,
        tissuePrediction,
        tissueGeneration,
        naturalLanguageInterpretation,
        perturbationPrediction,
    ]

    /// The built-in task called `name`, if there is one.
    public static func named(_ name: String) -> TaskDefinition? {
        all.first { $0.name == name }
    }

    /// Builds a task from template texts that are known to be well formed (the tests parse them).
    private static func task(_ name: String, _ kind: TaskKind, _ description: String,
                             inputs: [String], response: String) -> TaskDefinition {
        do {
            return TaskDefinition(name: name, kind: kind, description: description,
                                  inputTemplates: try inputs.map(PromptTemplate.init),
                                  responseTemplate: try PromptTemplate(response))
        } catch {
            fatalError("built-in task \(name): \(error)")
        }
    }

    static let cellTypePrediction = task(
        "cell_type_prediction", .singleCell,
        "Predict the cell type (the label) of one cell from its cell sentence.",
        inputs: [
            "The following are the {num_genes} most highly expressed genes of a single {organism} cell, ordered by decreasing expression: {cell_sentence}. What is the cell type of this cell?",
            "Cell sentence ({organism}, top {num_genes} genes by decreasing expression): {cell_sentence}.\nCell type:",
            "Below are {num_genes} gene names from one {organism} cell profiled by single-cell RNA-seq, listed from highest to lowest expression.\n{cell_sentence}\nWhich cell type does this cell belong to?",
            "Identify the cell type of a single {organism} cell from its {num_genes} most highly expressed genes, given in order of decreasing expression: {cell_sentence}.\nThe cell type is:",
            "{cell_sentence}\nThe genes above are the top {num_genes} expressed genes of one {organism} cell, from highest to lowest expression. Name the cell type of this cell:",
            "Here is the expression profile of one {organism} cell, written as its {num_genes} most strongly expressed genes in descending order: {cell_sentence}. Based on these genes, the cell type is:",
            "Single-cell RNA-seq data from one {organism} cell, given as its {num_genes} top-ranked genes (highest expression first):\n{cell_sentence}\nWhat type of cell is this?",
            "Given the gene list below, ranked by decreasing expression in a single {organism} cell, predict the cell type.\nGenes ({num_genes}): {cell_sentence}.\nPredicted cell type:",
            "Organism: {organism}\nNumber of genes: {num_genes}\nGenes in order of decreasing expression: {cell_sentence}\nQuestion: what is the cell type of this cell?\nAnswer:",
            "Which cell type best matches a single {organism} cell whose {num_genes} most highly expressed genes, from highest to lowest, are {cell_sentence}?",
            "These {num_genes} genes are ranked by their expression level, highest first, in one {organism} cell: {cell_sentence}. Annotate the cell with its cell type:",
            "Consider this cell sentence from one {organism} cell, made of its top {num_genes} genes sorted by decreasing expression:\n{cell_sentence}\nThe cell type of this cell is:",
            "Classify the cell described by the following {num_genes} genes, which are ordered from most to least expressed in a single {organism} cell.\n{cell_sentence}\nCell type:",
            "Top {num_genes} expressed genes of one {organism} cell, in descending order of expression: {cell_sentence}.\nFrom this expression pattern, which cell type is it?",
            "You are given the {num_genes} most highly expressed genes of a single {organism} cell, listed in order of decreasing expression. Predict its cell type.\nCell sentence: {cell_sentence}.\nAnswer:",
            "Ranked gene list (highest expression first) for one {organism} cell, {num_genes} genes: {cell_sentence}.\nWhat cell type do these genes indicate?",
            "What is the cell type of the single {organism} cell whose top {num_genes} genes by expression are listed below, from highest to lowest?\n{cell_sentence}\nCell type:",
            "The expression of one {organism} cell was measured by single-cell RNA sequencing. Its {num_genes} most highly expressed genes, in decreasing order, are: {cell_sentence}. The cell type of this cell is most likely:",
        ],
        response: "{label}")

    static let cellTypeGeneration = task(
        "cell_type_generation", .singleCell,
        "Generate the cell sentence of one cell with a given label (for example a cell type).",
        inputs: [
            "Generate the {num_genes} most highly expressed genes, in order of decreasing expression, of a single {organism} cell labelled {label}:",
            "Write a cell sentence of {num_genes} genes, ordered by decreasing expression, for one {organism} cell with the label {label}:",
            "Label: {label}\nOrganism: {organism}\nNumber of genes: {num_genes}\nGenerate the cell's genes in order of decreasing expression:",
            "What would the top {num_genes} expressed genes of a single {organism} cell annotated as {label} be, listed from highest to lowest expression?",
            "Produce a realistic single-cell RNA-seq profile for one {organism} cell whose label is {label}, written as its {num_genes} most highly expressed genes in descending order:",
            "Simulate one {organism} cell belonging to the group {label}. List its {num_genes} most strongly expressed genes, highest expression first:",
            "For the label {label}, generate a cell sentence of one {organism} cell, giving its top {num_genes} genes ranked by decreasing expression:",
            "Cell label: {label}. Organism: {organism}. List {num_genes} genes in order of decreasing expression for such a cell:",
            "Generate a list of {num_genes} gene names, from most to least expressed, that could come from a single {organism} cell labelled {label}:",
            "Give the cell sentence (the top {num_genes} genes by decreasing expression) of a plausible {organism} cell annotated as {label}:",
            "One {organism} cell carries the label {label}. Which {num_genes} genes would it express most highly, listed in decreasing order of expression?",
            "Sample a new {organism} cell labelled {label} and write its {num_genes} most highly expressed genes in descending order:",
            "Create a cell sentence for the label {label} ({organism}, {num_genes} genes, ordered from highest to lowest expression):",
            "Describe a single {organism} cell annotated as {label} by listing its {num_genes} most highly expressed genes, in order of decreasing expression:",
            "Which genes, ranked by decreasing expression, make up the top {num_genes} of a typical {organism} cell with the label {label}?",
            "Starting with the most highly expressed gene, list the top {num_genes} genes of one {organism} cell whose annotation is {label}:",
            "Target label: {label}\nWrite the {num_genes} most highly expressed genes of a single {organism} cell matching this label, highest expression first:",
            "Generate single-cell RNA-seq data for one {organism} cell of the class {label}, written as {num_genes} gene names ordered by decreasing expression:",
        ],
        response: "{cell_sentence}")

    static let unconditionalGeneration = task(
        "unconditional_generation", .singleCell,
        "Generate the cell sentence of one cell with no condition other than the organism.",
        inputs: [
            "Generate a cell sentence: the {num_genes} most highly expressed genes of a single {organism} cell, in order of decreasing expression:",
            "List the top {num_genes} expressed genes of a random {organism} cell, from highest to lowest expression:",
            "Write {num_genes} gene names ordered by decreasing expression, as they would appear in one {organism} cell measured by single-cell RNA-seq:",
            "Simulate one {organism} cell and give its {num_genes} most strongly expressed genes, highest first:",
            "Organism: {organism}\nNumber of genes: {num_genes}\nGenerate a cell sentence (genes ordered by decreasing expression):",
            "Produce a realistic {organism} single-cell expression profile, written as {num_genes} gene names ranked by decreasing expression:",
            "What might the top {num_genes} genes of an arbitrary {organism} cell be, listed from most to least expressed?",
            "Sample one {organism} cell and list its {num_genes} most highly expressed genes in descending order:",
            "Create a plausible cell sentence of {num_genes} genes for one {organism} cell, ordered from highest to lowest expression:",
            "Give an example of a single {organism} cell, described by its {num_genes} most highly expressed genes in decreasing order of expression:",
            "Generate the expression ranking of one {organism} cell, listing {num_genes} genes with the most highly expressed first:",
            "Write out a cell sentence for a new {organism} cell with {num_genes} genes in order of decreasing expression:",
            "Imagine a single {organism} cell profiled by single-cell RNA-seq. Which {num_genes} genes would be most highly expressed, in decreasing order?",
            "Starting from the most highly expressed gene, list {num_genes} genes of one {organism} cell:",
            "Generate one {organism} cell as a ranked list of its top {num_genes} genes (highest expression first):",
            "Cell sentence of {num_genes} genes, ordered by decreasing expression, for a randomly chosen {organism} cell:",
            "Invent a realistic {organism} cell. Its {num_genes} most highly expressed genes, from highest to lowest, are:",
        ],
        response: "{cell_sentence}")

    static let tissuePrediction = task(
        "tissue_prediction", .multiCell,
        "Predict the tissue (the group's label) of several cells from their cell sentences.",
        inputs: [
            "Below are {num_cells} {organism} cells from the same tissue, each given as up to {num_genes} genes ordered by decreasing expression.\n{cell_sentences}\nWhich tissue do these cells come from?",
            "{cell_sentences}\nEach line above lists the top genes (up to {num_genes} per cell) of one of {num_cells} {organism} cells, from highest to lowest expression. The tissue these cells were taken from is:",
            "Predict the tissue of origin of the following {num_cells} {organism} cells. For each cell, up to {num_genes} genes are listed in order of decreasing expression.\n{cell_sentences}\nTissue:",
            "Organism: {organism}\nCells: {num_cells} (up to {num_genes} genes per cell, highest expression first)\n{cell_sentences}\nQuestion: from which tissue were these cells sampled?\nAnswer:",
            "These {num_cells} cell sentences come from {organism} cells of one tissue; each lists up to {num_genes} genes by decreasing expression.\n{cell_sentences}\nName the tissue:",
            "Single-cell RNA-seq of {num_cells} {organism} cells from a single tissue, with up to {num_genes} genes per cell ranked from highest to lowest expression:\n{cell_sentences}\nWhat is the tissue?",
            "Identify the tissue that the following {num_cells} {organism} cells were isolated from.\n{cell_sentences}\n(Each cell shows up to {num_genes} genes in order of decreasing expression.)\nThe tissue is:",
            "Which tissue contains cells like these? Here are {num_cells} {organism} cells, each described by up to {num_genes} genes sorted by decreasing expression:\n{cell_sentences}\nTissue of origin:",
            "Look at the most highly expressed genes (up to {num_genes} per cell, in descending order) of {num_cells} {organism} cells:\n{cell_sentences}\nBased on these cells, which tissue were they collected from?",
            "The following cell sentences describe {num_cells} {organism} cells sampled together from one tissue. Each sentence contains up to {num_genes} genes, most highly expressed first.\n{cell_sentences}\nThe most likely tissue is:",
            "Determine the tissue from this group of {num_cells} {organism} cells (up to {num_genes} genes each, ordered by decreasing expression):\n{cell_sentences}\nAnswer:",
            "Here is a sample of {num_cells} cells taken from one {organism} tissue, each shown as up to {num_genes} genes ranked by expression (highest first).\n{cell_sentences}\nWhat tissue is this?",
            "Tissue classification. Input: {num_cells} {organism} cells with up to {num_genes} genes per cell, each list ordered by decreasing expression.\n{cell_sentences}\nPredicted tissue:",
            "From which tissue do these {num_cells} {organism} cells originate? Each cell below lists up to {num_genes} of its genes, from most to least expressed.\n{cell_sentences}\nTissue:",
            "Given the ranked gene lists of {num_cells} {organism} cells below (up to {num_genes} genes per cell, decreasing expression), infer the tissue they share.\n{cell_sentences}\nShared tissue:",
            "A total of {num_cells} {organism} cells, each represented by up to {num_genes} genes in decreasing order of expression:\n{cell_sentences}\nFrom which tissue were these cells most likely taken?",
            "Cell sentences (up to {num_genes} genes per cell, highest expression first) for {num_cells} {organism} cells:\n{cell_sentences}\nWhat tissue do they come from?",
        ],
        response: "{label}")

    static let tissueGeneration = task(
        "tissue_generation", .multiCell,
        "Generate the cell sentences of several cells from a given tissue (the group's label).",
        inputs: [
            "Generate {num_cells} {organism} cells from the tissue {label}, listing up to {num_genes} genes per cell in order of decreasing expression:",
            "Tissue: {label}\nOrganism: {organism}\nWrite cell sentences for {num_cells} cells, with up to {num_genes} genes per cell ranked by decreasing expression:",
            "Simulate single-cell RNA-seq of {num_cells} {organism} cells sampled from {label}. For each cell, give up to {num_genes} genes, the most highly expressed first:",
            "What might {num_cells} {organism} cells taken from {label} look like? List up to {num_genes} genes per cell in descending order of expression:",
            "Produce {num_cells} cell sentences for the {organism} tissue {label}, each with up to {num_genes} genes ordered from highest to lowest expression:",
            "Create a group of {num_cells} {organism} cells that could come from the tissue {label}; describe each by up to {num_genes} genes in decreasing order of expression:",
            "For the tissue {label} in {organism}, generate {num_cells} cells as ranked gene lists (up to {num_genes} genes per cell, highest expression first):",
            "Sample {num_cells} cells from {organism} {label} and write the top genes of each (up to {num_genes} per cell), ordered by decreasing expression:",
            "List the most highly expressed genes, up to {num_genes} per cell and from highest to lowest, for {num_cells} {organism} cells found in {label}:",
            "Generate single-cell data for {label} ({organism}) consisting of {num_cells} cells, each written as up to {num_genes} gene names ordered by decreasing expression:",
            "Which genes would {num_cells} {organism} cells from {label} express most highly? Give up to {num_genes} genes per cell, in decreasing order of expression:",
            "Write {num_cells} plausible cell sentences for cells of the {organism} tissue {label}, with at most {num_genes} genes per sentence, most highly expressed first:",
            "Tissue of origin: {label}. Generate {num_cells} {organism} cells, each given as up to {num_genes} genes sorted by decreasing expression:",
            "Imagine {num_cells} cells dissociated from {organism} {label} and profiled by single-cell RNA-seq. Write up to {num_genes} genes per cell, highest expression first:",
            "Generate a realistic sample of {num_cells} cells from {label} in {organism}, showing up to {num_genes} genes for each cell ranked from highest to lowest expression:",
            "Give cell sentences for {num_cells} {organism} cells originating from {label} (up to {num_genes} genes each, in order of decreasing expression):",
            "Organism: {organism}. Tissue: {label}. Number of cells: {num_cells}. Maximum genes per cell: {num_genes}. Generate the cells, listing each cell's genes by decreasing expression:",
        ],
        response: "{cell_sentences}")

    static let naturalLanguageInterpretation = task(
        "natural_language_interpretation", .multiCell,
        "Describe in natural language (for example, the abstract of their study) a group of cells given as cell sentences.",
        inputs: [
            "Below are {num_cells} {organism} cells, each written as its most highly expressed genes in order of decreasing expression.\n{cell_sentences}\nWrite a short text describing the biology of these cells:",
            "{cell_sentences}\nThe lines above are cell sentences (genes ordered by decreasing expression) of {num_cells} {organism} cells from one study. Summarise the study they come from:",
            "Describe in natural language the biological context of the following {num_cells} {organism} cells, given as ranked gene lists (highest expression first).\n{cell_sentences}\nDescription:",
            "Organism: {organism}\nNumber of cells: {num_cells}\nCell sentences (genes by decreasing expression):\n{cell_sentences}\nWrite a summary of the study these cells were taken from:",
            "What can you say about these {num_cells} {organism} cells? Each is listed by its top genes, from most to least expressed.\n{cell_sentences}\nSummary:",
            "Interpret the following single-cell RNA-seq data from {num_cells} {organism} cells, where each cell is represented by its genes in descending order of expression.\n{cell_sentences}\nInterpretation:",
            "Write the abstract of a study that could have produced these {num_cells} {organism} cells (genes listed from highest to lowest expression):\n{cell_sentences}\nAbstract:",
            "Here are cell sentences for {num_cells} {organism} cells profiled together:\n{cell_sentences}\nIn a few sentences, explain what these cells and their study are about:",
            "Summarise, as a short paragraph, the biology suggested by the gene expression of these {num_cells} {organism} cells (each line ranks genes by decreasing expression).\n{cell_sentences}\nParagraph:",
            "Given {num_cells} {organism} cells represented as genes ordered by decreasing expression, write a description of the experiment they come from.\n{cell_sentences}\nExperiment description:",
            "Cell sentences of {num_cells} {organism} cells (most highly expressed genes first):\n{cell_sentences}\nWhat study do these cells likely come from, and what does it report?",
            "Provide a natural-language summary for the following group of {num_cells} {organism} cells, each shown as a ranked list of expressed genes:\n{cell_sentences}\nSummary of the study:",
            "Translate these {num_cells} {organism} cell sentences into a scientific description (each sentence lists genes from highest to lowest expression):\n{cell_sentences}\nScientific description:",
            "Read the expression profiles of {num_cells} {organism} cells below, each written as genes ordered by decreasing expression, and describe the research they are part of.\n{cell_sentences}\nDescription of the research:",
            "A set of {num_cells} {organism} cells from one single-cell RNA-seq study is shown below as cell sentences, with genes ordered by decreasing expression.\n{cell_sentences}\nWhat is the study about?",
            "Explain the biological context of these cells in plain language.\nOrganism: {organism}\nCells ({num_cells}, genes in order of decreasing expression):\n{cell_sentences}\nExplanation:",
        ],
        response: "{text}")

    static let perturbationPrediction = task(
        "perturbation_prediction", .perturbation,
        "Predict the cell sentence of a perturbed cell from a control cell of the same type and the perturbation.",
        inputs: [
            "The following is an unperturbed {organism} cell of type {label}, written as its {num_genes} most highly expressed genes in order of decreasing expression: {control_sentence}.\nPredict the cell sentence of the same kind of cell after {perturbation}:",
            "Control cell ({organism}, cell type: {label}), top {num_genes} genes by decreasing expression: {control_sentence}.\nPerturbation: {perturbation}.\nPerturbed cell sentence:",
            "How would the gene expression of this {organism} cell (cell type: {label}) change under {perturbation}? Control cell, {num_genes} genes from highest to lowest expression: {control_sentence}.\nPerturbed cell, genes by decreasing expression:",
            "Organism: {organism}\nCell type: {label}\nPerturbation: {perturbation}\nControl cell sentence ({num_genes} genes, highest expression first): {control_sentence}\nPredicted perturbed cell sentence:",
            "Given a control {organism} cell of type {label} whose {num_genes} most highly expressed genes, in decreasing order, are {control_sentence}, what would its cell sentence be after {perturbation}?",
            "{control_sentence}\nThe {num_genes} genes above, ordered by decreasing expression, come from an unperturbed {organism} cell of type {label}. Generate the corresponding cell sentence after {perturbation}:",
            "Predict the effect of {perturbation} on a single {organism} cell of type {label}. Before the perturbation, its top {num_genes} genes by decreasing expression were: {control_sentence}.\nAfter the perturbation, its genes in decreasing order of expression are:",
            "Apply the perturbation \"{perturbation}\" to the following control cell ({organism}, cell type {label}) and write the resulting cell sentence.\nControl ({num_genes} genes, most highly expressed first): {control_sentence}.\nPerturbed:",
            "Single-cell RNA-seq, {organism}, cell type {label}. Unperturbed cell, {num_genes} genes in descending order of expression: {control_sentence}.\nSame cell type after {perturbation}, genes in descending order of expression:",
            "Here is the cell sentence of one {organism} cell of type {label} in the control condition ({num_genes} genes, ranked by decreasing expression):\n{control_sentence}\nWhich genes would be most highly expressed after {perturbation}, from highest to lowest?",
            "Perturbation prediction. Cell type: {label}. Organism: {organism}. Perturbation: {perturbation}.\nControl cell ({num_genes} genes by decreasing expression): {control_sentence}.\nPredicted perturbed cell:",
            "Starting from this control {organism} cell of type {label} (its top {num_genes} genes, highest expression first): {control_sentence}, generate the cell sentence expected after {perturbation}:",
            "Under {perturbation}, how would the ranked gene list of this {organism} cell (cell type: {label}) look? The control list has {num_genes} genes in decreasing order of expression: {control_sentence}.\nPerturbed list:",
            "Write the perturbed cell sentence for one {organism} cell of type {label} subjected to {perturbation}, given its control cell sentence of {num_genes} genes ordered by decreasing expression.\nControl: {control_sentence}.\nPerturbed:",
            "Control and perturbed cells share the cell type {label} ({organism}). The control cell's {num_genes} most highly expressed genes, in decreasing order, are: {control_sentence}.\nAfter {perturbation}, the perturbed cell's genes in decreasing order of expression are:",
            "Predict how {perturbation} changes the top expressed genes of a single {organism} cell of type {label}.\nControl cell sentence ({num_genes} genes, descending expression): {control_sentence}.\nPerturbed cell sentence:",
            "Before perturbation, a single {organism} cell of type {label} has these {num_genes} genes ranked by decreasing expression: {control_sentence}.\nAfter {perturbation}, its ranked genes are:",
        ],
        response: "{perturbed_sentence}")
}
