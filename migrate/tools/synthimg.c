/* synthimg: deterministic synthetic guest memory images for benchmarks and store tests. */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Each 4 KiB page is chosen by a hash of (seed, pfn): zero, text-like
 * (compressible), random (incompressible) or "common" (copied from a pool
 * of 256 pages, so it repeats within and across images).  --variant K
 * (K > 0) rewrites about --change percent of the pages with content
 * specific to K, so images of one seed share the rest page for page.
 */

#define PAGE 4096u

static uint64_t mix(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ull;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
	return x ^ (x >> 31);
}

static void fill_random(uint8_t *p, uint64_t state)
{
	for (unsigned i = 0; i < PAGE; i += 8) {
		state = mix(state);
		memcpy(p + i, &state, 8);
	}
}

static void fill_text(uint8_t *p, uint64_t state)
{
	static const char *const words[] = {
		"the ", "page ", "table ", "guest ", "memory ", "kernel ", "struct ", "return ",
		"int ", "void ", "domain ", "event ", "channel ", "grant ", "if (", ") {\n",
		"\t", "0x0000 ", "error ", "static ", "unsigned ", "long ", "buffer ", "= NULL;\n",
	};
	unsigned n = 0;
	while (n < PAGE) {
		state = mix(state);
		const char *w = words[state % (sizeof(words) / sizeof(words[0]))];
		size_t l = strlen(w);
		if (l > PAGE - n)
			l = PAGE - n;
		memcpy(p + n, w, l);
		n += (unsigned)l;
	}
}

struct cfg {
	uint64_t seed, variant, pages;
	unsigned change, zero_pct, text_pct, random_pct;
};

static void make_page(const struct cfg *c, uint64_t pfn, uint8_t *p)
{
	uint64_t h = mix(c->seed * 0x100000001B3ull ^ pfn);
	if (c->variant && mix(h ^ (c->variant * 0xA24BAED4963EE407ull)) % 100 < c->change) {
		fill_random(p, mix(h + c->variant));
		return;
	}
	unsigned cls = (unsigned)(h % 100);
	if (cls < c->zero_pct)
		memset(p, 0, PAGE);
	else if (cls < c->zero_pct + c->text_pct)
		fill_text(p, h);
	else if (cls < c->zero_pct + c->text_pct + c->random_pct)
		fill_random(p, h);
	else
		fill_text(p, mix(c->seed) + (h >> 8) % 256); /* common pool page */
}

static int profile(struct cfg *c, const char *name)
{
	if (!strcmp(name, "mixed"))
		c->zero_pct = 30, c->text_pct = 30, c->random_pct = 20;
	else if (!strcmp(name, "zero"))
		c->zero_pct = 100, c->text_pct = c->random_pct = 0;
	else if (!strcmp(name, "random"))
		c->zero_pct = c->text_pct = 0, c->random_pct = 100;
	else if (!strcmp(name, "text"))
		c->zero_pct = c->random_pct = 0, c->text_pct = 100;
	else
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "size-mib", 1, 0, 'm' }, { "pages", 1, 0, 'p' }, { "seed", 1, 0, 's' },
		{ "variant", 1, 0, 'v' }, { "change", 1, 0, 'c' }, { "profile", 1, 0, 'P' },
		{ 0, 0, 0, 0 },
	};
	struct cfg c = { .seed = 1, .change = 5 };
	const char *out = NULL;
	int o;
	profile(&c, "mixed");
	while ((o = getopt_long(argc, argv, "o:", lo, NULL)) != -1) {
		switch (o) {
		case 'o': out = optarg; break;
		case 'm': c.pages = strtoull(optarg, NULL, 0) * (1u << 20) / PAGE; break;
		case 'p': c.pages = strtoull(optarg, NULL, 0); break;
		case 's': c.seed = strtoull(optarg, NULL, 0); break;
		case 'v': c.variant = strtoull(optarg, NULL, 0); break;
		case 'c': c.change = (unsigned)atoi(optarg); break;
		case 'P':
			if (profile(&c, optarg))
				goto usage;
			break;
		default: goto usage;
		}
	}
	if (!out || !c.pages || optind != argc || c.change > 100)
		goto usage;
	FILE *f = strcmp(out, "-") ? fopen(out, "wb") : stdout;
	if (!f) {
		perror(out);
		return 1;
	}
	static uint8_t buf[256 * PAGE];
	for (uint64_t pfn = 0; pfn < c.pages;) {
		unsigned k = 0;
		for (; k < 256 && pfn < c.pages; k++, pfn++)
			make_page(&c, pfn, buf + (size_t)k * PAGE);
		if (fwrite(buf, PAGE, k, f) != k) {
			perror(out);
			return 1;
		}
	}
	if (fclose(f)) {
		perror(out);
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "usage: synthimg -o FILE (--size-mib N | --pages N) [--seed S] [--variant K]\n"
			"                [--change PCT] [--profile mixed|zero|random|text]\n");
	return 2;
}
