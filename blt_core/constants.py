"""Special ids and defaults shared by every stage (the official BLT values).

Byte value b has id b + OFFSET, so ids 0..3 are free for the specials and the
vocabulary holds 256 + 4 = 260 entries: byte 0x41 ("A") -> id 69.
"""

BOE_ID = 0  # beginning of example: pads the local encoder's context
BOS_ID = 1  # beginning of sequence: what the entropy model reads before byte 0
EOS_ID = 2  # end of sequence: the generator stops here
BPE_DELIM_ID = 3  # official BPE-delimiter id, unused by our models but reserved
OFFSET = 4  # byte b -> id b + OFFSET
VOCAB_SIZE = 260
NGRAM_PAD_ID = BOE_ID  # what an entropy model's n-gram reads before its input starts (entropy/ngrams.py)

# The official facebook/blt-entropy threshold, in nats. It belongs to that model only;
# our shipped model's calibrated defaults live in its model card.
OFFICIAL_THRESHOLD = 1.335442066192627
OFFICIAL_WINDOW = 512  # sliding attention window of the official entropy model, in tokens

# ln(260) = 5.5607 nats: the entropy of a uniform next-token distribution, the largest an entropy
# can be. Threshold sliders and entropy colour scales stop just above it.
MAX_ENTROPY_NATS = 5.560681631015528
THRESHOLD_CEILING = 5.6

SCHEMA_VERSION = 1  # version of the Analysis / JSON contract
