// Command rlhfsim runs the rlhfsim course and the stages of its simulated
// RLHF pipeline. Run "rlhfsim help" for the commands.
package main
