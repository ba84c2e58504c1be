/**
 * "Use this model": copy-paste snippets for the clients Berth speaks to, with this site's URL filled in,
 * as the Hub's repo pages show them. Plain text; the page escapes it.
 */
import type { Repo } from "../src/domain/entities.ts";
import { fullName, repoUrlPath } from "../src/domain/repo-id.ts";
import type { CardMetadata } from "./model-card.ts";

export interface Snippet {
  readonly id: string;
  readonly title: string;
  readonly code: string;
}

/** A Python string literal (the ids and URLs here are plain, but a name may hold a quote one day). */
const py = (text: string) => JSON.stringify(text);

export function useSnippets(repo: Repo, publicUrl: string, metadata: CardMetadata | undefined): Snippet[] {
  const id = fullName(repo);
  const endpoint = `export HF_ENDPOINT=${publicUrl}${repo.private ? "\nexport HF_TOKEN=hf_…   # a token that can read this repo" : ""}`;
  const repoType = repo.type === "model" ? "" : `, repo_type=${py(repo.type)}`;
  const snippets: Snippet[] = [
    {
      id: "snippet-hub",
      title: "huggingface_hub",
      code: `# pip install huggingface_hub\n${endpoint}\n\nfrom huggingface_hub import snapshot_download\nsnapshot_download(${py(id)}${repoType})`,
    },
  ];
  if (repo.type === "model" && (metadata?.library === undefined || metadata.library === "transformers")) {
    const body = metadata?.pipeline
      ? `from transformers import pipeline\npipe = pipeline(${py(metadata.pipeline)}, model=${py(id)})`
      : `from transformers import AutoModel, AutoTokenizer\ntokenizer = AutoTokenizer.from_pretrained(${py(id)})\nmodel = AutoModel.from_pretrained(${py(id)})`;
    snippets.push({
      id: "snippet-transformers",
      title: "transformers",
      code: `# pip install transformers\n${endpoint}\n\n${body}`,
    });
  }
  if (repo.type === "dataset") {
    snippets.push({
      id: "snippet-datasets",
      title: "datasets",
      code: `# pip install datasets\n${endpoint}\n\nfrom datasets import load_dataset\nds = load_dataset(${py(id)})`,
    });
  }
  snippets.push({
    id: "snippet-js",
    title: "@huggingface/hub",
    code: `import { listFiles } from "@huggingface/hub";\nconst repo = { type: ${JSON.stringify(repo.type)}, name: ${JSON.stringify(id)} };\nfor await (const file of listFiles({ repo, hubUrl: ${JSON.stringify(publicUrl)}${repo.private ? ", accessToken: process.env.HF_TOKEN" : ""} })) console.log(file.path);`,
  });
  snippets.push({
    id: "snippet-git",
    title: "git",
    code: `git lfs install\ngit clone ${publicUrl}${repoUrlPath(repo)}${repo.private ? "\n# user name: anything; password: a token that can read this repo" : ""}`,
  });
  return snippets;
}
