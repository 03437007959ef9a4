"""Every sentence the bots say, in Korean (default) and English. Adapters look texts up here."""
# ruff: noqa: E501 - a table of sentences reads better unwrapped

from __future__ import annotations

from typing import Literal

Lang = Literal["ko", "en"]
DEFAULT: Lang = "ko"

TEXTS: dict[str, dict[str, str]] = {
    "start": {
        "ko": "안녕하세요! 🎧 MRI예요.\n사진을 보내 주시면 그 분위기에 어울리는 노래를 멜론에서 골라 드릴게요.\n"
        "/help 로 할 수 있는 일을 볼 수 있어요.",
        "en": "Hi! 🎧 I'm MRI.\nSend me a photo and I'll pick Melon songs that match its mood.\n"
        "See /help for everything I can do.",
    },
    "help": {
        "ko": "📷 사진(또는 이미지 파일)을 보내면 → 분위기 태그와 노래 10곡\n"
        "/mood 비 오는 날 카페 — 글로 분위기를 말하면 노래를 골라요\n"
        "/playlist — (그룹) 여럿의 사진으로 플레이리스트 만들기 시작, /playlist done 으로 완성\n"
        "/lang ko|en — 언어 바꾸기\n"
        "/stats — 지금까지의 추천과 투표\n"
        "/forget — 내 기록 모두 지우기\n"
        "👍/👎 버튼으로 곡마다, 또는 목록 전체에 투표할 수 있어요. 같은 버튼을 다시 누르면 취소돼요.\n"
        "태그 버튼(✕ 노을)을 누르면 그 태그를 빼고 다시 골라요. ⚡ 더 신나게 / 🌙 더 잔잔하게, ≈ 비슷한 곡도 있어요.\n"
        "제 추천에 답장으로 “+바다 -노을”처럼 태그를 더하고 뺄 수 있어요. 아무 채팅에서나 @봇이름 뒤에 분위기를 적어도 돼요.\n"
        "그룹에서는 사진에 /mri 를 적거나 제 메시지에 답장으로 보내 주세요.",
        "en": "📷 Send a photo (or an image file) → mood tags and 10 songs\n"
        "/mood rainy day cafe — describe a mood in words\n"
        "/playlist — (groups) start a playlist from everyone's photos, /playlist done to finish\n"
        "/lang ko|en — change the language\n"
        "/stats — recommendations and votes so far\n"
        "/forget — delete everything I stored about you\n"
        "Vote 👍/👎 on each song or the whole list; tapping the same button again removes the vote.\n"
        "Tap a tag (✕ sunset) to drop it and pick again; ⚡ Livelier / 🌙 Calmer and ≈ More like work too.\n"
        "Reply to my recommendation with “+beach -sunset” to add or drop tags. In any chat, type @botname and a mood.\n"
        "In groups, caption the photo with /mri or send it as a reply to me.",
    },
    "listening": {"ko": "🎧 듣는 중…", "en": "🎧 Listening…"},
    "still_working": {
        "ko": "⏳ 아직 고르는 중이에요. 조금만 기다려 주세요 — 다 되면 여기로 보내 드릴게요.",
        "en": "⏳ Still picking songs. Hang on — I'll post them here as soon as they're ready.",
    },
    "result_title": {"ko": "이 사진에 어울리는 노래", "en": "Songs for this photo"},
    "result_title_text": {"ko": "이 분위기에 어울리는 노래", "en": "Songs for this mood"},
    "playlist_title": {"ko": "🎶 우리의 플레이리스트", "en": "🎶 Our playlist"},
    "album_title": {"ko": "사진 {n}장에 어울리는 노래", "en": "Songs for these {n} photos"},
    "album_part_failed": {"ko": "📷{n} 빼고 골랐어요: {reason}", "en": "📷{n} left out: {reason}"},
    "album_failed": {
        "ko": "보내 주신 사진에서 분위기를 찾지 못했어요.",
        "en": "I couldn't use any of these photos.",
    },
    "whole_list": {"ko": "목록 전체", "en": "Whole list"},
    "result_title_revised": {"ko": "다시 고른 노래 ({n}번째)", "en": "Songs, revised (#{n})"},
    "result_title_similar": {"ko": "‘{title}’와 비슷한 노래", "en": "Songs like “{title}”"},
    "result_title_inline": {"ko": "‘{query}’에 어울리는 노래", "en": "Songs for “{query}”"},
    "chip_drop": {"ko": "✕ {tag}", "en": "✕ {tag}"},
    "nudge_up": {"ko": "⚡ 더 신나게", "en": "⚡ Livelier"},
    "nudge_down": {"ko": "🌙 더 잔잔하게", "en": "🌙 Calmer"},
    "similar_short": {"ko": "비슷한 곡", "en": "More like"},
    "steer_menu": {
        "ko": "태그 빼기 · 더 신나게/잔잔하게 · 비슷한 곡",
        "en": "Drop a tag · livelier/calmer · more like a song",
    },
    "steer_hint": {
        "ko": "태그를 누르면 빼고 다시 골라요. 제 메시지에 답장으로 “+바다 -노을”, “더 신나게”라고 쓸 수도 있어요.",
        "en": "Tap a tag to drop it and pick again. Or reply to my message with “+beach -sunset” or “livelier”.",
    },
    "steer_working": {"ko": "다시 고르는 중…", "en": "Picking again…"},
    "similar_working": {"ko": "비슷한 노래를 찾는 중…", "en": "Finding songs like it…"},
    "steer_not_yours": {
        "ko": "사진을 보낸 분만 태그를 바꿀 수 있어요. ‘비슷한 곡’은 누구나 누를 수 있어요.",
        "en": "Only the person who asked can change these tags. Anyone can tap “More like”.",
    },
    "steer_unknown_tags": {
        "ko": "이 태그는 몰라요: {words}",
        "en": "I don't know these tags: {words}",
    },
    "steer_no_tags_left": {
        "ko": "태그를 모두 뺄 수는 없어요. 하나는 남겨 주세요.",
        "en": "I can't drop every tag; please keep at least one.",
    },
    "steer_usage": {
        "ko": "제 추천에 답장으로 “+바다 -노을”(태그 더하기/빼기)이나 “더 신나게”, “더 잔잔하게”라고 써 주세요.",
        "en": "Reply to my recommendation with “+beach -sunset” (add/drop tags), “livelier” or “calmer”.",
    },
    "inline_empty": {
        "ko": "분위기를 적어 주세요 (예: 비 오는 날 카페)",
        "en": "Type a mood (e.g. rainy day cafe)",
    },
    "brought_by": {"ko": "{user}님의 사진", "en": "from {user}'s photo"},
    "credits": {"ko": "함께 만든 사람: {users}", "en": "Made together by: {users}"},
    "vote_up": {"ko": "👍 좋아요를 남겼어요", "en": "👍 Liked"},
    "vote_down": {"ko": "👎 별로예요를 남겼어요", "en": "👎 Disliked"},
    "vote_removed": {"ko": "투표를 취소했어요", "en": "Vote removed"},
    "vote_unknown": {
        "ko": "이 추천은 더 이상 투표할 수 없어요.",
        "en": "This recommendation can no longer be voted on.",
    },
    "vote_not_allowed": {
        "ko": "이 채팅에서 추천된 곡에만 투표할 수 있어요.",
        "en": "You can only vote on songs recommended in this chat.",
    },
    "err_empty": {
        "ko": "사진이 비어 있어요. 다시 보내 주시겠어요?",
        "en": "That photo is empty. Could you send it again?",
    },
    "err_too_large": {
        "ko": "사진이 너무 커요(최대 {limit}MB). 조금 작게 보내 주세요.",
        "en": "That photo is too large (max {limit} MB). Please send a smaller one.",
    },
    "err_not_image": {
        "ko": "이 파일은 사진이 아닌 것 같아요. JPEG나 PNG 사진을 보내 주세요.",
        "en": "That file doesn't look like a photo. Please send a JPEG or PNG.",
    },
    "err_broken": {
        "ko": "사진이 깨졌거나 일부만 받았어요. 다시 보내 주시겠어요?",
        "en": "The photo seems damaged or cut off. Could you send it again?",
    },
    "err_pixels": {
        "ko": "사진의 해상도가 너무 높아요. 조금 줄여서 보내 주세요.",
        "en": "That image has far too many pixels. Please send a smaller version.",
    },
    "err_unsupported": {
        "ko": "이 이미지 형식은 아직 읽을 수 없어요. JPEG나 PNG로 보내 주세요.",
        "en": "I can't read this image format yet. Please send a JPEG or PNG.",
    },
    "err_no_tags": {
        "ko": "분위기를 알아보지 못했어요. 다른 사진이나 다른 말로 해 주시겠어요?",
        "en": "I couldn't tell the mood. Could you try another photo or other words?",
    },
    "err_busy": {
        "ko": "지금 추천 엔진에 문제가 있어요. 잠시 후 다시 시도해 주세요. 🙏",
        "en": "The recommender is having trouble right now. Please try again shortly. 🙏",
    },
    "err_expired": {
        "ko": "죄송해요, 너무 오래 걸려서 이번 요청은 포기했어요. 다시 보내 주시겠어요?",
        "en": "Sorry, that took too long and I gave up on it. Could you send it again?",
    },
    "err_generic": {
        "ko": "죄송해요, 뭔가 잘못됐어요. 잠시 후 다시 시도해 주세요.",
        "en": "Sorry, something went wrong. Please try again in a moment.",
    },
    "rate_limited": {
        "ko": "조금 천천히 보내 주세요 🙂 {seconds}초 뒤에 다시 받을게요.",
        "en": "Easy there 🙂 I can take another one in {seconds} s.",
    },
    "unknown_command": {
        "ko": "모르는 명령이에요. /help 를 보세요.",
        "en": "I don't know that command. See /help.",
    },
    "words_hint": {
        "ko": "💡 보내 주신 글을 분위기로 읽고 골랐어요. 사진을 보내면 사진에 어울리는 노래를 골라 드려요.",
        "en": "💡 I read your words as a mood. Send a photo and I'll pick songs for it instead.",
    },
    "err_media_kind": {
        "ko": "스티커나 영상, 음성은 아직 못 들어요 🙂 사진을 보내 주시거나 분위기를 글로 적어 주세요.",
        "en": "I can't take stickers, videos or voice messages yet 🙂 Send a photo, or describe the mood in words.",
    },
    "lang_usage": {"ko": "사용법: /lang ko 또는 /lang en", "en": "Usage: /lang ko or /lang en"},
    "lang_set": {"ko": "이제 한국어로 말할게요.", "en": "I'll speak English from now on."},
    "mood_usage": {
        "ko": "사용법: /mood 비 오는 날 카페 — 분위기를 글로 적어 주세요.",
        "en": "Usage: /mood rainy day cafe — describe the mood in words.",
    },
    "forget_confirm": {
        "ko": "정말 지울까요? 내 추천 기록과 투표, 이름, 언어 설정이 삭제돼요. "
        "다른 사람이 투표한 답장과 그룹 플레이리스트는 내 이름 없이 남아요.",
        "en": "Delete everything? Your requests, votes, name and language setting will be "
        "removed. Replies other people voted on, and group playlists, stay without your name.",
    },
    "forget_yes": {"ko": "네, 지워 주세요", "en": "Yes, delete"},
    "forget_no": {"ko": "아니요", "en": "No"},
    "forget_done": {"ko": "모두 지웠어요. ({rows}개 항목)", "en": "Done — deleted {rows} records."},
    "forget_cancelled": {"ko": "지우지 않았어요.", "en": "Nothing was deleted."},
    "forget_not_yours": {
        "ko": "본인만 누를 수 있어요.",
        "en": "Only the person who asked can confirm.",
    },
    "stats": {
        "ko": "📊 추천 {requests}회 · 👍 {up} · 👎 {down}\n최근 1시간: 완료 {done}, 실패 {failed} · 대기 {queued}",
        "en": "📊 {requests} recommendations · 👍 {up} · 👎 {down}\nLast hour: {done} done, {failed} failed · {queued} waiting",
    },
    "playlist_private": {
        "ko": "플레이리스트는 그룹 채팅에서 만들 수 있어요. 그룹에 저를 초대해 주세요!",
        "en": "Playlists are made in group chats. Add me to a group!",
    },
    "playlist_started": {
        "ko": "🎶 플레이리스트를 시작해요! 사진에 /mri 를 적어 보내거나 이 메시지에 답장으로 사진을 보내 주세요. "
        "다 모이면 /playlist done",
        "en": "🎶 Playlist started! Send photos captioned /mri or as a reply to this message. "
        "When everyone's in: /playlist done",
    },
    "playlist_joined": {
        "ko": "🎵 {user}님의 사진을 플레이리스트에 담았어요 ({tags})",
        "en": "🎵 Added {user}'s photo to the playlist ({tags})",
    },
    "playlist_photo_failed": {
        "ko": "🙁 {user}님의 사진은 담지 못했어요: {reason}",
        "en": "🙁 {user}'s photo could not be added: {reason}",
    },
    "playlist_none": {
        "ko": "열린 플레이리스트가 없어요. /playlist 로 시작해 주세요.",
        "en": "There's no open playlist. Start one with /playlist.",
    },
    "playlist_closed_by_time": {
        "ko": "⏰ 시간이 다 돼서 플레이리스트를 완성할게요!",
        "en": "⏰ Time's up — finishing the playlist!",
    },
    "group_hint": {
        "ko": "그룹에서는 사진에 /mri 를 적거나 제 메시지에 답장으로 보내 주세요.",
        "en": "In groups, caption the photo with /mri or send it as a reply to me.",
    },
    # -- Discord (bot/discord): slash-command wording and command descriptions ---------------
    "discord_help": {
        "ko": "📷 DM으로 사진을 보내거나, 서버에서 저를 멘션(@MRI)하며 사진을 올리면 → 분위기 태그와 노래 10곡\n"
        "/mri — 사진을 첨부해서 노래 고르기\n"
        "/mood 비 오는 날 카페 — 글로 분위기를 말하면 노래를 골라요\n"
        "/playlist start · add · done — (서버) 여럿의 사진으로 플레이리스트 만들기\n"
        "/lang — 언어 바꾸기 (한국어/English)\n"
        "/stats — 지금까지의 추천과 투표\n"
        "/forget — 내 기록 모두 지우기\n"
        "곡마다 👍/👎 버튼으로 투표하고(같은 버튼을 다시 누르면 취소), 답장에 👍/👎 반응을 달면 목록 전체를 평가해요.",
        "en": "📷 DM me a photo, or post one in a server while mentioning me (@MRI) → mood tags and 10 songs\n"
        "/mri — attach a photo and get songs\n"
        "/mood rainy day cafe — describe a mood in words\n"
        "/playlist start · add · done — (servers) a playlist made from everyone's photos\n"
        "/lang — change the language (한국어/English)\n"
        "/stats — recommendations and votes so far\n"
        "/forget — delete everything I stored about you\n"
        "Vote 👍/👎 on each song with the buttons (the same button again removes the vote); 👍/👎 reactions on my reply rate the whole list.",
    },
    "discord_hint": {
        "ko": "사진을 함께 보내 주세요! DM에서는 그냥 첨부하고, 서버에서는 저를 멘션하며 올리거나 /mri 를 써 주세요.",
        "en": "Send me a photo! In a DM just attach it; in a server mention me with the photo or use /mri.",
    },
    "discord_playlist_started": {
        "ko": "🎶 플레이리스트를 시작해요! 이 채널에 사진을 올리거나 /playlist add 로 보내 주세요. "
        "다 모이면 /playlist done (⏰ {minutes}분 뒤에는 자동으로 완성해요)",
        "en": "🎶 Playlist started! Post photos in this channel or send them with /playlist add. "
        "When everyone's in: /playlist done (⏰ it finishes by itself in {minutes} min)",
    },
    "discord_playlist_none": {
        "ko": "열린 플레이리스트가 없어요. /playlist start 로 시작해 주세요.",
        "en": "There's no open playlist. Start one with /playlist start.",
    },
    "discord_footer": {
        "ko": "곡마다 👍/👎 버튼 · 이 메시지에 👍/👎 반응 = 목록 전체 평가",
        "en": "👍/👎 buttons rate each song · 👍/👎 reactions on this message rate the whole list",
    },
    "discord_cmd_mri": {
        "ko": "사진에 어울리는 멜론 노래를 골라요",
        "en": "Pick Melon songs that match a photo",
    },
    "discord_opt_photo": {"ko": "사진 (JPEG, PNG …)", "en": "A photo (JPEG, PNG …)"},
    "discord_cmd_mood": {
        "ko": "글로 말한 분위기에 어울리는 노래를 골라요",
        "en": "Pick songs for a mood in words",
    },
    "discord_opt_text": {"ko": "예: 비 오는 날 카페", "en": "e.g. rainy day cafe"},
    "discord_cmd_playlist": {
        "ko": "여럿의 사진으로 함께 만드는 플레이리스트",
        "en": "A playlist made from everyone's photos",
    },
    "discord_cmd_playlist_start": {
        "ko": "이 채널에서 플레이리스트 시작",
        "en": "Start a playlist in this channel",
    },
    "discord_cmd_playlist_add": {
        "ko": "플레이리스트에 사진 추가",
        "en": "Add a photo to the playlist",
    },
    "discord_cmd_playlist_done": {
        "ko": "모인 사진으로 플레이리스트 완성",
        "en": "Finish the playlist from the photos so far",
    },
    "discord_cmd_lang": {"ko": "언어 바꾸기", "en": "Change the language"},
    "discord_opt_language": {"ko": "언어", "en": "Language"},
    "discord_cmd_forget": {"ko": "내 기록 모두 지우기", "en": "Delete everything stored about me"},
    "discord_cmd_help": {"ko": "할 수 있는 일", "en": "What I can do"},
    "discord_cmd_stats": {"ko": "추천과 투표 통계", "en": "Recommendation and vote numbers"},
}


def text(key: str, lang: str = DEFAULT, **values: object) -> str:
    """The sentence `key` in `lang` (Korean when the language is unknown), filled in."""
    entry = TEXTS[key]
    template = entry.get(lang) or entry[DEFAULT]
    return template.format(**values) if values else template
