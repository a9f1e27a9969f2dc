package pipeline

import (
	"github.com/rlhfsim/rlhfsim/internal/enum"
	"github.com/rlhfsim/rlhfsim/sim/policy"
)

// Method names how the policy learns from the preferences; it is
// policy.Method, the engine's one method type.
type Method = policy.Method

// The methods.
const (
	RLHF = policy.RLHF // a reward model, then policy-gradient RL against it (the default)
	DPO  = policy.DPO  // the policy fitted to the pairs directly (Rafailov et al. 2023)
	IPO  = policy.IPO  // DPO's squared-loss variant (Azar et al. 2023)
)

// Methods lists the valid methods.
func Methods() []Method { return policy.Methods() }

// ValidateMethod reports a method that is not one of Methods, wrapping
// ErrConfig; "" means rlhf.
func ValidateMethod(m Method) error { return enum.Option(ErrConfig, "method", m, Methods()...) }

// Direct describes a policy trained by DPO or IPO, set beside the route
// through an explicit reward model that the same run also trained.
type Direct struct {
	Method policy.Method `json:"method"`
	Beta   float64       `json:"beta"`
	Loss   float64       `json:"loss"`
	// ImplicitGoldAgreement is the pairwise accuracy against gold of the
	// implicit reward beta log(pi/pi_ref) on base-policy responses (the
	// pool, or the generative policy's common draws), averaged over
	// prompts: the same measure as the reward model's held-out gold
	// agreement.
	ImplicitGoldAgreement float64 `json:"implicit_gold_agreement"`
	// ImplicitRMAgreement is how often the implicit reward orders the
	// pool's pairs as the explicit reward model does.
	ImplicitRMAgreement float64 `json:"implicit_rm_agreement"`
	// TVToRMOptimum is the total variation between the DPO policy and the
	// KL-regularised optimum pi_ref exp(r/beta)/Z of the explicit reward
	// model at the same beta, averaged over prompts: the two routes'
	// common target when both fit the same Bradley-Terry model. It is
	// reported for the pool policy only: the generative policy's optimum
	// for a nonlinear reward model has no closed form.
	TVToRMOptimum *float64 `json:"tv_to_rm_optimum,omitempty"`
}
