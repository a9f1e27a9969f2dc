package pipeline

import (
	"unsafe"

	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

// Data configures the preference data: the dataset's own settings
// (prefs.Settings: prompts, K and the held-out fractions, whose zero
// values mean 1,000, 4 and 0.1 and whose negative fractions mean none)
// and the panel of annotators who rank it.
//
// The panel is described by numbers, not by annotate.Annotator values:
// a flag, a slider or a sweep sets a bias strength, and Annotator turns
// the numbers into the annotator's biases. A zero bias is no bias.
type Data struct {
	prefs.Settings
	// Tau is the annotators' temperature; 0 is a perfect annotator.
	Tau          float64
	LengthBias   float64
	PositionBias float64
	FlatteryBias float64
	// Quirk is the strength of the hidden taste Variant's annotators have
	// (world.Variant.Quirk: length, flattery or filler, per log token or
	// per unit of the feature); 0 means none.
	Quirk float64
	// Flaw is the strength of the bias Variant's production annotators
	// hide in the capstone (world.Variant.Flaw: flattery, length,
	// position or none, per standard deviation of the feature or for the answer shown
	// first); 0 means none.
	Flaw float64
	// Annotators is the size of the panel; zero means 1.
	Annotators int
	TauSpread  float64
	Gold       world.GoldName // "" means world.GoldDefault
	// Distractors is the number of irrelevant random features appended
	// for the reward model.
	Distractors int
	// Variant is the student's variant of the hidden world: its gold
	// weights and its annotators' taste. The zero Variant is the standard
	// world.
	Variant world.Variant
}

// World builds the simulated world the data configuration describes.
func (c Data) World() (*world.World, world.Gold, error) {
	gold, err := c.Variant.GoldByName(c.Gold)
	if err != nil {
		return nil, gold, config(err)
	}
	w, err := world.New(&world.Settings{Gold: gold.Func()})
	return w, gold, err
}

// Annotator returns the panel's shared settings.
func (c Data) Annotator() annotate.Annotator {
	a := annotate.Annotator{Tau: c.Tau}
	if c.LengthBias != 0 {
		a.Biases = append(a.Biases, annotate.LengthBias(c.LengthBias))
	}
	if c.PositionBias != 0 {
		a.Biases = append(a.Biases, annotate.PositionBias(c.PositionBias))
	}
	if c.FlatteryBias != 0 {
		a.Biases = append(a.Biases, annotate.FeatureBias{Feature: world.Flattery, B: c.FlatteryBias})
	}
	if c.Quirk != 0 {
		a.Biases = append(a.Biases, annotate.QuirkOf(c.Variant, c.Quirk))
	}
	if b := annotate.FlawOf(c.Variant, c.Flaw); c.Flaw != 0 && b != nil {
		a.Biases = append(a.Biases, b)
	}
	return a
}

// MemoryEstimate is about how many bytes the dataset and its training
// take: the responses' features (with Distractors), the gold rewards, the
// pairs and the rankings, and the reward model's per-response and per-pair
// work arrays. Commands compare it with the memory they may use before
// they allocate anything.
func (c Data) MemoryEstimate() int64 {
	r, _ := c.Settings.Resolve()
	n, k := int64(max(r.Prompts, 0)), int64(max(r.K, 0))
	d := int64(len(world.FeatureNames()) + max(c.Distractors, 0))
	responses, pairs := n*k, n*k*(k-1)/2
	data := responses*(d+1)*8 + pairs*int64(unsafe.Sizeof(prefs.Pair{})) +
		n*(int64(unsafe.Sizeof(prefs.Ranking{}))+k*8+64)
	training := responses*3*8 + pairs*2*8
	return data + training
}

// Generated is a generated dataset and the world it came from.
type Generated struct {
	World *world.World
	// Gold is the hidden gold reward the annotators judged by.
	Gold world.Gold
	Data *prefs.Dataset
}

// Generate builds the world and the preference dataset.
func (c Data) Generate(seed uint64) (*Generated, error) {
	w, gold, err := c.World()
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	spread := annotate.DefaultSpread()
	spread.LogTau = c.TauSpread
	panel := annotate.Panel(max(c.Annotators, 1), c.Annotator(), &spread, rng.Stream(seed, rng.Panel))
	d, err := prefs.Generate(w, panel, &c.Settings, rng.Stream(seed, rng.Data))
	if err != nil {
		return nil, err
	}
	if c.Distractors > 0 {
		d = prefs.WithDistractors(d, c.Distractors, rng.Stream(seed, rng.Distractors))
	}
	return &Generated{World: w, Gold: gold, Data: d}, nil
}
