package pipeline

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/rlhfsim/rlhfsim/sim/policy"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/reward"
)

func TestRunIsDeterministic(t *testing.T) {
	c := Default()
	c.Data.Prompts = 300
	c.Policy.Settings.Steps = 40
	c.Policy.Prompts = 30
	a, err := Run(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Run(c, nil)
	if !reflect.DeepEqual(a.Run.Steps, b.Run.Steps) || !reflect.DeepEqual(a.BoN, b.BoN) {
		t.Error("the same seed gave different runs")
	}
	c.Seed = 2
	d, _ := Run(c, nil)
	if reflect.DeepEqual(a.Run.Steps, d.Run.Steps) {
		t.Error("different seeds gave the same run")
	}
	if len(a.Run.Steps) != 41 || len(a.BoN) != len(c.Policy.BoN) {
		t.Errorf("%d steps and %d best-of-n rows", len(a.Run.Steps), len(a.BoN))
	}
}

func TestRunReportsProgress(t *testing.T) {
	c := Default()
	c.Data.Prompts = 200
	c.Policy.Settings.Steps = 10
	c.Policy.Prompts = 10
	seen := map[string]int{}
	if _, err := Run(c, func(stage string, done, total int) { seen[stage] = done }); err != nil {
		t.Fatal(err)
	}
	if seen["policy"] != 10 || seen["data"] != 1 || seen["best-of-n"] != 1 || seen["reward model"] == 0 {
		t.Errorf("progress seen: %v", seen)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, mut := range []func(*Config){
		func(c *Config) { c.Data.Gold = "cubic" },
		func(c *Config) { c.Data.K = 1 },
		func(c *Config) { c.Data.Distractors = 3 },
		func(c *Config) { c.Policy.Kind = "tabular" },
		func(c *Config) { c.Policy.BoN = []int{0} },
		func(c *Config) { c.RM.Model = "forest" },
		func(c *Config) { c.Data.Val = -1 }, // no validation pairs
		func(c *Config) { c.Data.Tau = 101 },
		func(c *Config) { c.RM.LR = -0.1 },
		func(c *Config) { c.Policy.Clip = 1 },
		func(c *Config) { c.Policy.Audit.Pairs = -1 },
		func(c *Config) { c.RM.View = 1.5 },
		func(c *Config) { c.Policy.Audit = Audit{Pairs: 10, Every: -1} },
		func(c *Config) { c.Policy.Audit.Pairs, c.Policy.Method = 10, DPO },
	} {
		c := Default()
		c.Data.Prompts = 100
		mut(&c)
		if _, err := Run(c, nil); !errors.Is(err, ErrConfig) {
			t.Errorf("err = %v, want ErrConfig", err)
		}
	}
}

// TestZeroConfig: the zero Config is valid and runs: zero counts take
// their defaults (1,000 prompts, K = 4, 200 policy prompts, 300 steps),
// zero quantities are zero (perfect annotators, no KL penalty), and a nil
// best-of-n list is no sweep.
func TestZeroConfig(t *testing.T) {
	var c Config
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Policy.Steps = 5 // keep the test short; the rest stays zero
	r, err := Run(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(r.Data.Rankings); got != 1000 {
		t.Errorf("%d rankings, want prefs' default of 1,000", got)
	}
	if got := len(r.Policy.Prompts()); got != DefaultPolicyPrompts {
		t.Errorf("%d policy prompts, want %d", got, DefaultPolicyPrompts)
	}
	if len(r.Run.Steps) != 6 || r.BoN != nil || r.Run.Steps[1].Beta != 0 {
		t.Errorf("%d steps, best-of-n %v, beta %v: want 6, none and 0", len(r.Run.Steps), r.BoN, r.Run.Steps[1].Beta)
	}
}

// TestParamsInDefault: every parameter of the table is in its range at
// Default, and a value just outside it is refused by the part's Validate
// with the parameter's name.
func TestParamsInDefault(t *testing.T) {
	d := Default()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, p := range Params() {
		c := Default()
		switch f := p.Field(&c).(type) {
		case *int:
			*f = int(p.Max) + 1
		case *float64:
			*f = p.Max * 1.5
			if p.Max == 0 {
				*f = 1
			}
		}
		err := map[Part]error{PartData: c.Data.Validate(), PartRM: c.RM.Validate(), PartPolicy: c.Policy.Validate()}[p.Part]
		if err == nil || !strings.Contains(err.Error(), p.Name+" = ") {
			t.Errorf("%s above its range: err = %v", p.Name, err)
		}
	}
}

// BenchmarkDefault times the default pipeline: 2,000 prompts, K = 4, a
// linear reward model, 300 policy steps and the best-of-n sweep.
func BenchmarkDefault(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := Run(Default(), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestOptionTypesAreConfigErrors(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{PolicyKind("tabular").Validate(), `pipeline: bad configuration: policy "tabular": want generative or pool`},
		{RM{Model: "forest"}.Validate(), `pipeline: bad configuration: reward: bad option: model "forest": want linear, affine or mlp`},
		{RM{Model: reward.KindMLP, Hidden: []int{0}}.Validate(), `pipeline: bad configuration: reward: bad option: hidden width 0, want 1 to 4096`},
		{Data{Gold: "cubic", Settings: prefs.Settings{Prompts: 1, K: 2}, Annotators: 1}.Validate(), `pipeline: bad configuration: world: unknown gold reward: gold "cubic": want default, linear or coherent`},
		{Policy{Kind: Generative, Prompts: 1, PoolSize: 1, Draws: 1, Settings: policy.Settings{Algo: policy.Exact}}.Validate(), `pipeline: bad configuration: the exact gradient needs the pool policy`},
	} {
		if c.err == nil || c.err.Error() != c.want || !errors.Is(c.err, ErrConfig) {
			t.Errorf("got %v, want %s", c.err, c.want)
		}
	}
}

// TestDefaultDocumented: the numbers Default's comment gives are the
// configuration's (its beta once said 0.05 while the code used 0.2).
func TestDefaultDocumented(t *testing.T) {
	c := Default()
	p := c.Policy
	if c.Data.Prompts != 2000 || c.Data.K != 4 || c.Data.Annotators != 1 || c.RM.Model != reward.KindLinear || c.RM.Optimizer != reward.Adam ||
		p.Settings.Steps != 300 || p.Settings.Algo != policy.RLOO || p.Kind != Generative || p.Settings.Beta != 0.2 ||
		p.BoN[0] != 1 || p.BoN[len(p.BoN)-1] != 16384 {
		t.Errorf("Default() no longer matches its comment: %+v", c)
	}
}

// TestRunAll: runs on several workers give, in order, exactly the runs
// Run gives one at a time; a bad configuration is named by its place.
func TestRunAll(t *testing.T) {
	var cs []Config
	for s := uint64(1); s <= 3; s++ {
		c := Default()
		c.Seed = s
		c.Data.Prompts = 200
		c.Policy.Settings.Steps = 20
		c.Policy.Prompts = 20
		c.Policy.BoN = []int{1, 4}
		cs = append(cs, c)
	}
	for _, w := range []int{1, 2, 0} {
		got, err := RunAll(cs, w, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range cs {
			want, _ := Run(c, nil)
			if !reflect.DeepEqual(got[i].Run.Steps, want.Run.Steps) || !reflect.DeepEqual(got[i].BoN, want.BoN) {
				t.Errorf("workers %d: run %d differs from Run", w, i)
			}
		}
	}
	cs[1].Data.Prompts = -1
	if _, err := RunAll(cs, 2, nil); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "run 2 of 3") {
		t.Errorf("got %v, want a config error naming run 2 of 3", err)
	}
}

// TestRewardAll: models trained on every core are the models
// Config.Reward trains one at a time, in the order of the configurations,
// whatever the number of workers; a bad configuration is named.
func TestRewardAll(t *testing.T) {
	var cs []Config
	for s := uint64(1); s <= 3; s++ {
		c := Default()
		c.Seed = s
		c.Data.Prompts = 300
		cs = append(cs, c)
	}
	for _, w := range []int{1, 2, 0} {
		got, err := RewardAll(cs, w)
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range cs {
			_, want, _ := c.Reward()
			if !reflect.DeepEqual(got[i].Metrics, want.Metrics) || !reflect.DeepEqual(got[i].Scorer.Model.Params(), want.Scorer.Model.Params()) {
				t.Errorf("workers %d: model %d differs from Config.Reward's", w, i)
			}
		}
	}
	cs[2].Data.Prompts = -1
	if _, err := RewardAll(cs, 2); !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), "reward model 3 of 3") {
		t.Errorf("got %v, want a config error naming reward model 3 of 3", err)
	}
}
