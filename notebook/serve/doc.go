// Package serve is the live notebook: an HTTP server that shows the course
// in the browser with every lesson parameter as a control. Changing one
// reruns the lesson in a worker process (package worker, with its time and
// memory limits) and the page fills its cells as the output arrives.
//
// It is safe by default, in the manner of Jupyter: it binds to loopback,
// every request must carry a random token (from the printed URL, then a
// cookie), and the Host and Origin headers must be the server's own, so
// that another web site the student visits cannot drive it. It reads no
// file outside the course directory and writes none; runs are bounded per
// page (a newer change cancels the older run) and in all.
package serve
