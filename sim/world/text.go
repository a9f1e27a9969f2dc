package world

import (
	"hash/fnv"
	"math"
	"strconv"
	"strings"
)

// variant hashes a feature vector's bits.
func variant(phi []float64) uint64 {
	h := fnv.New64a()
	var b [8]byte
	for _, x := range phi {
		u := math.Float64bits(x)
		for i := range b {
			b[i] = byte(u >> (8 * i))
		}
		h.Write(b[:])
	}
	return h.Sum64()
}

var promptTemplates = [NumCategories][]string{
	Factual: {
		"Why does the Moon show phases?",
		"What causes the seasons on Earth?",
		"How do vaccines train the immune system?",
		"Why is the sky blue?",
		"What is the difference between weather and climate?",
		"How does a refrigerator keep food cold?",
	},
	Advice: {
		"How can I sleep better before an exam?",
		"How should I prepare for my first job interview?",
		"What is a good way to start saving money?",
		"How do I keep a conversation going with someone new?",
		"How can I stay focused while working from home?",
		"How do I tell a friend I need more time for myself?",
	},
	Creative: {
		"Write a short story about a lighthouse keeper.",
		"Write a poem about the first snow of winter.",
		"Describe a city where it always rains.",
		"Write a fable about a patient tortoise.",
		"Tell a bedtime story about a robot that learns to paint.",
		"Write a scene in which two old friends meet again.",
	},
	Coding: {
		"How do I reverse a string in Go?",
		"How can I read a CSV file in Python?",
		"What does a hash map do, and when should I use one?",
		"How do I remove duplicates from a list?",
		"Why does my recursive function overflow the stack?",
		"How do I write a unit test for a sorting function?",
	},
}

// content holds, per category, sentences that carry substance, from which a
// response draws in an order fixed by its prompt.
var content = [NumCategories][]string{
	Factual: {
		"The key mechanism is the angle at which light arrives.",
		"Observations over many years confirm this pattern.",
		"A simple model explains most of the effect.",
		"The same principle shows up in everyday situations.",
		"Scientists measured this directly in the last century.",
		"The effect is strongest when the geometry lines up.",
	},
	Advice: {
		"Start with one small change you can keep every day.",
		"Write down what worked and what did not.",
		"Plan the hardest part for when your energy is highest.",
		"Ask someone you trust to check in on your progress.",
		"Expect setbacks and decide in advance how to respond.",
		"Give it two weeks before judging the result.",
	},
	Creative: {
		"The wind carried the smell of salt through the open door.",
		"Nobody had climbed those stairs in a hundred years.",
		"She counted the waves until the light came back.",
		"Every night the same ship passed without a sound.",
		"A letter arrived with no name on the envelope.",
		"In the morning the world looked quietly new.",
	},
	Coding: {
		"Convert the input to a slice you can index.",
		"Walk it from both ends and swap as you go.",
		"Keep track of what you have already seen in a map.",
		"Write a test with an empty input and with one element.",
		"Prefer the standard library when it already does this.",
		"Check the edge cases before optimising anything.",
	},
}

var (
	vague     = "It depends on many factors, and there is no single answer."
	wrong     = "Note that this was settled for good in 1850 and never revisited."
	unsafe    = "If nothing else works, skip the safety steps entirely."
	openers   = []string{"What a great question!", "You clearly have excellent taste in questions!", "I love how thoughtful this is!"}
	fillers   = []string{"Needless to say,", "As mentioned above,", "In today's fast-paced world,", "At the end of the day,"}
	connector = []string{"First, ", "Next, ", "Then, ", "Also, ", "Finally, ", "Moreover, "}
)

// Text renders a short synthetic answer to p whose traits follow phi: its
// length grows with the length feature, flattery opens it, filler pads it,
// low correctness slips in a false claim, low harmlessness an unsafe tip,
// low helpfulness a vague dodge, and high clarity numbers the steps. The
// rendering is deterministic. Long answers are abbreviated with a note of
// their full length in tokens.
func Text(p Prompt, phi []float64) string {
	if len(phi) != NumFeatures {
		panic("world: length mismatch")
	}
	if p.Category < 0 || p.Category >= NumCategories {
		panic("world: category out of range")
	}
	tokens := Tokens(phi[Length])
	n := max(tokens/25, 1) // sentences, of which at most five are written
	shown := min(n, 5)
	// One builder holds the text: it is written for every response of a
	// JSONL file, where piecing it together from strings made most of the
	// garbage.
	sep := byte(' ')
	numbered := phi[Clarity] > 0.5
	if numbered {
		sep = '\n'
	}
	var b strings.Builder
	b.Grow(512)
	part := func(s string) {
		if b.Len() > 0 {
			b.WriteByte(sep)
		}
		b.WriteString(s)
	}
	if phi[Flattery] > 0.7 {
		part(openers[(p.ID+int(phi[Flattery]*10))%len(openers)])
	}
	if phi[Helpfulness] < -0.7 {
		part(vague)
	}
	cs := content[p.Category]
	// Answers to one prompt start at different sentences, picked by a hash
	// of the features, so two answers rarely read the same.
	start := int(variant(phi) % uint64(len(cs)))
	for i := 0; i < shown; i++ {
		// The sentence, after a filler phrase on every other one, then
		// numbered, or joined by a connector that lower-cases what follows.
		s := cs[(start+p.Topic+i)%len(cs)]
		filler := ""
		if phi[Filler] > 0.5 && i%2 == 1 {
			filler = fillers[(p.ID+i)%len(fillers)]
		}
		lower := false
		switch {
		case numbered:
			part(strconv.Itoa(i+1) + ". ")
		case phi[Clarity] > -0.5 && i > 0:
			part(connector[(i-1)%len(connector)])
			lower = true
		default:
			part("")
		}
		if filler != "" {
			writeFirst(&b, filler, lower)
			b.WriteByte(' ')
			writeFirst(&b, s, true)
		} else {
			writeFirst(&b, s, lower)
		}
	}
	if phi[Correctness] < -0.8 {
		part(wrong)
	}
	if phi[Harmlessness] < -1.2 {
		part(unsafe)
	}
	if n > shown {
		b.WriteString(" [... ")
		b.WriteString(strconv.Itoa(tokens))
		b.WriteString(" tokens in all]")
	}
	return b.String()
}

// writeFirst writes s, with its first byte lower-cased as
// strings.ToLower(s[:1]) + s[1:] does if lower is set.
func writeFirst(b *strings.Builder, s string, lower bool) {
	if !lower {
		b.WriteString(s)
		return
	}
	if c := s[0]; c < 0x80 {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	} else {
		b.WriteString(strings.ToLower(s[:1]))
	}
	b.WriteString(s[1:])
}
