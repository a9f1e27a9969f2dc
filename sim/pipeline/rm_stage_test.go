package pipeline

import (
	"slices"
	"testing"
)

// TestTrainTellsItsStages: RM.Stage hears training begin, then
// evaluating, then the end, once each, and changes nothing of the model.
func TestTrainTellsItsStages(t *testing.T) {
	c := Default()
	c.Data.Prompts = 200
	g, err := c.Data.Generate(1)
	if err != nil {
		t.Fatal(err)
	}
	var stages []string
	rm := c.RM
	rm.Stage = func(s string) { stages = append(stages, s) }
	told, err := rm.Train(g.Data, 1)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := c.RM.Train(g.Data, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(stages, []string{"train", "evaluate", "done"}) {
		t.Errorf("stages %v", stages)
	}
	if !slices.Equal(told.Scorer.Model.Params(), plain.Scorer.Model.Params()) {
		t.Error("a Stage hook changed the model")
	}
}
