package sweep

import (
	"encoding/csv"
	"io"
	"strconv"
)

// Header is the CSV header WriteCSV writes: one column per Row field.
var Header = []string{"prompts", "model", "ensemble", "beta", "method", "algo", "seed", "aggregate",
	"rm_test_accuracy", "rm_gold_agreement", "peak_gold_gain", "peak_kl", "final_gold_gain", "final_kl",
	"gao_alpha", "gao_beta", "gao_r2"}

// WriteCSV writes rows as a tidy table, one run per line, numbers in the
// shortest form that reads back exactly.
func WriteCSV(w io.Writer, rows []Row) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(Header); err != nil {
		return err
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	for _, r := range rows {
		rec := []string{strconv.Itoa(r.Prompts), string(r.Model), strconv.Itoa(r.Ensemble), f(r.Beta), string(r.Method),
			string(r.Algo), strconv.FormatUint(r.Seed, 10), string(r.Aggregate), f(r.RMTestAccuracy), f(r.RMGoldAgree), f(r.PeakGoldGain),
			f(r.PeakKL), f(r.FinalGoldGain), f(r.FinalKL), f(r.GaoAlpha), f(r.GaoBeta), f(r.GaoR2)}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
