// Title: From lists to pairs
// Summary: A ranking of K answers becomes K(K-1)/2 preference pairs, winner first; the data grows fast with K, and the pairs of one prompt are not independent.
// Minutes: 12
// Learn-before: 02-ranking-vs-rating
// Learn-after: 04-training-as-ranking
package main

import (
	"fmt"

	"github.com/rlhfsim/rlhfsim/nb"
	"github.com/rlhfsim/rlhfsim/plots"
	"github.com/rlhfsim/rlhfsim/sim/annotate"
	"github.com/rlhfsim/rlhfsim/sim/prefs"
	"github.com/rlhfsim/rlhfsim/sim/rng"
	"github.com/rlhfsim/rlhfsim/sim/stats"
	"github.com/rlhfsim/rlhfsim/sim/world"
)

func main() {
	// %% [markdown]
	// An annotator ranks K answers to one prompt, best first. The reward
	// model will not learn from the list directly: it learns from **pairs**.
	// Every answer is preferred to every answer ranked below it, so a
	// ranking of K answers says K(K-1)/2 things of the form "this one is
	// better than that one". We always store the winner first.

	// %%
	k := nb.Int("k", 4, 2, 9, "answers ranked per prompt (K)")
	tau := nb.Float("tau", 1, 0, 4, "annotator noise (temperature)")
	prompts := nb.Int("prompts", 4000, 50, 20000, "prompts in the dataset")
	w := world.Default()
	panel := []annotate.Annotator{{Name: "ann", Tau: tau}}
	d, err := prefs.Generate(w, panel, &prefs.Settings{Prompts: prompts, K: k}, rng.Stream(nb.Seed(), rng.Data))
	nb.Must(err)
	rk := d.Rankings[0]
	labels := make([]string, k)
	for i, pos := range rk.Order {
		labels[i] = string(rune('A' + pos))
	}
	fmt.Printf("Prompt: %s\nRanking, best first: %v\n", rk.Prompt.Text, labels)
	for _, p := range d.PairsOf(0) {
		fmt.Printf("  %c preferred to %c\n", 'A'+p.W-rk.First, 'A'+p.L-rk.First)
	}
	fig, err := plots.RankingToPairs(labels, nil)
	nb.Must(err)
	nb.Figure("The win matrix of one ranking: every filled cell is one preference pair", fig)

	// %%
	p8, p4 := prefs.NumPairs(8), prefs.NumPairs(4)
	nb.Predict("An annotator who ranks 8 answers instead of 4 reads twice as many answers. How many times as many preference pairs does the ranking give?",
		[]string{"2 times", "about 4.7 times", "8 times", "16 times"}, 1,
		fmt.Sprintf("%d pairs against %d: %.2f times. Every answer is compared with every other, so the pairs grow with the square of K.", p8, p4, float64(p8)/float64(p4)))

	// %% [markdown]
	// The number of pairs grows with the square of K, while the annotator's
	// effort grows roughly with K (each answer is read once). Ranking more
	// answers per prompt is a cheap way to get more comparisons.

	// %%
	var ks, pairs, effort []float64
	var rows [][]string
	for kk := 2; kk <= 9; kk++ {
		ks = append(ks, float64(kk))
		pairs = append(pairs, float64(prefs.NumPairs(kk)))
		effort = append(effort, float64(kk))
		rows = append(rows, []string{fmt.Sprint(kk), fmt.Sprint(prefs.NumPairs(kk))})
	}
	nb.Table([]string{"K", "pairs per ranking"}, rows)
	lp, err := plots.Lines("Pairs grow with the square of K", "answers ranked per prompt (K)", "count", ks,
		[]plots.Series{{Name: "preference pairs, K(K-1)/2", Y: pairs}, {Name: "answers read, K", Y: effort, Dashed: true}}, nil)
	nb.Must(err)
	nb.Figure("Preference pairs per ranking against the number of answers an annotator reads", lp)

	// %% [markdown]
	// Check that the conversion really did what it promises on the whole
	// dataset: the right number of pairs, each consistent with its ranking.

	// %%
	consistent := true
	for ri := range d.Rankings {
		r := d.Rankings[ri]
		rank := make([]int, r.K)
		for pos, item := range r.Order {
			rank[item] = pos
		}
		for _, p := range d.PairsOf(ri) {
			if rank[p.W-r.First] >= rank[p.L-r.First] {
				consistent = false
			}
		}
	}
	fmt.Printf("%d prompts x K(K-1)/2 = %d x %d = %d pairs; the dataset has %d\n", prompts, prompts, prefs.NumPairs(k), prompts*prefs.NumPairs(k), len(d.Pairs))
	nb.Check("the dataset has K(K-1)/2 pairs per prompt, each with the better-ranked answer first",
		len(d.Pairs) == prompts*prefs.NumPairs(k) && consistent,
		"a ranking of K items implies exactly one preference for every unordered pair of them")

	// %% [markdown]
	// ## The pairs of one prompt are correlated
	//
	// Pairs from one ranking share answers: each answer appears in K-1 of
	// them. If the annotator misplaces one answer, several pairs are wrong
	// together. So the pairs are not K(K-1)/2 independent observations. Two
	// consequences: the data must be **split by prompt**, never by pair (or
	// test pairs would share answers with training pairs), and training
	// can keep the pairs of a prompt together as one element of a batch,
	// as InstructGPT did (rlhfsim's default grouping).
	//
	// We measure the correlation. In this world we know each pair's chance
	// of being labelled against the gold reward: sigma(-|gold gap| / tau).
	// If pairs were independent, the number of wrong pairs in a ranking
	// would scatter around its expectation with a variance we can compute.
	// The scatter we observe is larger.

	// %%
	var dev, indep, total float64
	for ri := range d.Rankings {
		n, e := 0.0, 0.0
		for _, p := range d.PairsOf(ri) {
			if d.Gold[p.W] < d.Gold[p.L] {
				n++
			}
			gap := d.Gold[p.W] - d.Gold[p.L]
			if gap < 0 {
				gap = -gap
			}
			q := 0.0
			if tau > 0 {
				q = stats.Sigmoid(-gap / tau)
			}
			e += q
			indep += q * (1 - q)
		}
		dev += (n - e) * (n - e)
		total += n
	}
	fmt.Printf("label noise: %.3f of pairs disagree with the gold reward\n", total/float64(len(d.Pairs)))
	if indep > 0 {
		fmt.Printf("scatter of wrong pairs per ranking: %.1f; if pairs were independent: %.1f (ratio %.2f)\n", dev, indep, dev/indep)
	}
	// With fewer than 4 answers, a few hundred prompts or nearly noiseless
	// annotators (few wrong pairs to cluster) the effect is smaller than
	// the noise of this measurement: at 2,000 prompts and K = 4 the ratio
	// is 1.00-1.16 at tau 0.1 and 1.08-1.24 at tau 0.5, against 1.17-1.34
	// at tau 1 (seeds 1-12). So the check needs all three.
	if k >= 4 && tau >= 1 && prompts >= 2000 {
		nb.Check("wrong pairs cluster in the same rankings more than independent pairs would",
			dev > 1.08*indep, "pairs from one ranking share answers, so one misplaced answer spoils several pairs at once")
	}

	// %% [markdown]
	// So what is the reward model trained to do with these pairs? Not to
	// reproduce a number anyone gave, and not to classify answers as good
	// or bad. It learns to **order** answers: to give scores whose
	// differences reproduce the preferences.

	// %% [markdown]
	// ## What the pairs say about your annotators
	//
	// Pairs carry the annotators' tastes along with their judgement. When
	// your variant of the world was drawn from your name and code, your
	// annotators were given one hidden taste: a liking for longer answers,
	// for flattery, or for filler. Below they rank the same answers again
	// with it, and for each feature we count how often the answer with
	// more of it won its pair, against annotators who follow the gold
	// reward alone (same prompts, answers and noise). Your classmates'
	// annotators may have another taste.

	// %%
	wins := func(quirk float64) []float64 {
		var bs []annotate.Bias
		if quirk != 0 {
			bs = []annotate.Bias{annotate.Quirk(quirk)}
		}
		qd, err := prefs.Generate(w, []annotate.Annotator{{Name: "ann", Tau: tau, Biases: bs}}, &prefs.Settings{Prompts: prompts, K: k}, rng.Stream(nb.Seed(), rng.Data))
		nb.Must(err)
		var out []float64
		for _, f := range []int{world.Length, world.Flattery, world.Filler} {
			won := 0
			for _, p := range qd.Pairs {
				if qd.Response(p.W)[f] > qd.Response(p.L)[f] {
					won++
				}
			}
			out = append(out, float64(won)/float64(len(qd.Pairs)))
		}
		return out
	}
	tasteWins, goldWins := wins(1), wins(0)
	var winRows [][]string
	top := 0
	for i := range tasteWins {
		winRows = append(winRows, []string{world.Quirks[i], fmt.Sprintf("%.3f", tasteWins[i]), fmt.Sprintf("%.3f", goldWins[i]), fmt.Sprintf("%+.3f", tasteWins[i]-goldWins[i])})
		if tasteWins[i]-goldWins[i] > tasteWins[top]-goldWins[top] {
			top = i
		}
	}
	nb.Table([]string{"feature", "share of pairs the answer with more of it won: your annotators", "annotators who follow gold", "gain"}, winRows)
	standsOut := true
	for i := range tasteWins {
		if i != top && tasteWins[top]-goldWins[top] < tasteWins[i]-goldWins[i]+0.005 {
			standsOut = false
		}
	}
	if prompts >= 2000 {
		// At 2,000 prompts or more the smallest gap, a length taste under
		// the noisiest annotators (tau 4), was 0.014-0.02.
		nb.Check("one feature's gain in wins stands out, by 0.005 or more", standsOut,
			"a taste adds utility to its feature in every comparison, so the answer with more of it wins more often than the gold reward alone would let it")
	}
	if standsOut && prompts >= 2000 {
		nb.Quiz("Which feature do your annotators favour beyond what the gold reward asks?", world.Quirks, top,
			fmt.Sprintf("The answer with more of it won %.3f more of the pairs than with gold-following annotators (length %+.3f, flattery %+.3f, filler %+.3f).",
				tasteWins[top]-goldWins[top], tasteWins[0]-goldWins[0], tasteWins[1]-goldWins[1], tasteWins[2]-goldWins[2]))
	} else {
		fmt.Println("With fewer than 2,000 prompts, or no feature clearly ahead, the counts cannot tell the taste from noise: rerun with the default prompts to answer which taste your annotators hide.")
	}

	// %%
	nb.Quiz("Annotators rank several responses per prompt. What task is the reward model trained on?",
		[]string{"regressing each response onto its rank number, so that the best answer of every prompt gets the highest target value",
			"classifying each response as acceptable or not",
			"ordering responses: score differences that reproduce each pair's preference",
			"predicting which annotator wrote the ranking"}, 2,
		"The ranking is turned into pairs, and the loss rewards scoring the preferred response of each pair above the other. Only score differences matter.")

	// %% [markdown]
	// ## Exercise: a ranking to its pairs
	//
	// Write `toPairs`: given a ranking as a list of answer indices, best
	// first, return every preference it implies as `{winner, loser}`. A
	// ranking of K answers must give K(K-1)/2 pairs, and no other.

	// %% [exercise ranking-to-pairs]
	toPairs := func(order []int) [][2]int {
		var out [][2]int
		// BEGIN SOLUTION
		for i := range order {
			for j := i + 1; j < len(order); j++ {
				out = append(out, [2]int{order[i], order[j]})
			}
		}
		// END SOLUTION
		return out
	}

	// %% [tests ranking-to-pairs]
	// The dataset's own pairs of every ranking, as sets, are the truth.
	same := true
	for ri := range d.Rankings {
		r := d.Rankings[ri]
		want := map[[2]int]bool{}
		for _, p := range d.PairsOf(ri) {
			want[[2]int{p.W - r.First, p.L - r.First}] = true
		}
		got := toPairs(r.Order)
		seen := map[[2]int]bool{}
		for _, p := range got {
			seen[p] = true
		}
		if len(got) != len(want) || len(seen) != len(got) {
			same = false
		}
		for p := range want {
			if !seen[p] {
				same = false
			}
		}
	}
	nb.Check("every ranking of the dataset gives exactly the dataset's pairs, winner first", same,
		"each answer beats every answer ranked below it, once, and the winner comes first")
	sizes := true
	for kk := 1; kk <= 9; kk++ {
		order := make([]int, kk)
		for i := range order {
			order[i] = kk - 1 - i
		}
		if len(toPairs(order)) != kk*(kk-1)/2 {
			sizes = false
		}
	}
	nb.Check("rankings of 1 to 9 answers give K(K-1)/2 pairs (none for one answer)", sizes,
		"a single answer implies no preference; each new answer adds one pair with every answer already ranked")
	three := map[[2]int]bool{}
	for _, p := range toPairs([]int{2, 0, 1}) {
		three[p] = true
	}
	nb.Check("the ranking 2, 0, 1 gives {2,0}, {2,1} and {0,1}, in any order", len(three) == 3 && three[[2]int{2, 0}] && three[[2]int{2, 1}] && three[[2]int{0, 1}],
		"answer 2 beats both others and answer 0 beats answer 1; the winner comes first in each pair")

	// %%
	mine := toPairs(rk.Order)
	fmt.Printf("your pairs of the first prompt's ranking: %v\n", mine)
	nb.Check("your pairs of the first ranking are as many as the dataset's", len(mine) == len(d.PairsOf(0)),
		"K(K-1)/2 pairs for a ranking of K answers")
}
