import SingleCell
