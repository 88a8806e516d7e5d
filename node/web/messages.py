"""The words of the public pages in a few languages, and dates written the reader's way.

Content comes in the languages its author wrote (``nameMap``…); the page around it is written
here. English, Spanish and French to begin with: the conference in the demo offers Spanish and
French interpretation, and RIPESS works in those three. A missing string falls back to English.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from node.content.i18n import language_name
from node.content.summary import zone_abbreviation

UI_LANGUAGES = ("en", "es", "fr")
NATIVE_NAMES = {
    "en": "English", "es": "Español", "fr": "Français", "pt": "Português", "de": "Deutsch",
    "it": "Italiano", "ca": "Català", "eu": "Euskara", "nl": "Nederlands", "ar": "العربية",
}  # fmt: skip

_EN = {
    "skip": "Skip to content",
    "languages": "Languages",
    "when": "When",
    "where": "Where",
    "online": "Online",
    "map": "Map",
    "organizer": "Organized by",
    "part_of": "Part of",
    "track": "Track",
    "speakers": "With",
    "room": "Room",
    "accessibility": "Accessibility",
    "take_part": "Take part",
    "participants": "{count} taking part",
    "places_left": "{count} places left",
    "full": "This event is full.",
    "closed": "Registration is closed.",
    "register_external": "Register on the organizer's site",
    "no_registration": "No registration needed: just come along.",
    "invite_only": "By invitation only.",
    "fediverse_join": "On Mobilizon or another fediverse app? Search for this page's address there and join.",
    "register_here": "Or register here, no account needed:",
    "your_name": "Your name",
    "your_email": "E-mail (optional, only the organizer sees it)",
    "register": "Register",
    "registered_accepted": "Thank you, you are registered.",
    "registered_pending": "Thank you: the organizer will confirm your registration.",
    "approval_needed": "The organizer approves each registration.",
    "programme": "Programme",
    "general": "General",
    "other_dates": "Other dates",
    "repeats": "Repeats",
    "updates": "Updates",
    "replies": "Replies from the fediverse",
    "no_replies": "No replies yet.",
    "tags": "Tags",
    "moved_to": "This account has moved to",
    "upcoming_events": "Upcoming events",
    "past_events": "Past events",
    "calls": "Calls for collaboration",
    "news": "News",
    "see_all": "See all",
    "nothing_yet": "Nothing here yet.",
    "previous": "Previous",
    "next": "Next",
    "pages": "Pages",
    "deadline": "Until",
    "closed_call": "Closed",
    "offer": "We offer",
    "request": "We need",
    "website": "Website",
    "region": "Region",
    "classification": "Solidarity economy classification",
    "tagged": "Tagged #{tag}",
    "published": "Published",
    "status_cancelled": "Cancelled",
    "status_postponed": "Postponed",
    "status_rescheduled": "Rescheduled",
    "status_movedOnline": "Moved online",
    "status_tentative": "To be confirmed",
    "error_name": "Please give your name.",
    "error_email": "This is not an e-mail address.",
    "error_form": "The form expired. Please try again.",
    "error_rating": "Choose a rating from 1 to 5.",
    "error_comment": "The comment is too long (2000 characters at most) or has odd characters.",
    "feedback": "How was it?",
    "feedback_intro": "The event is over. Tell the organizers what you thought: only they will read it.",
    "rating": "Your rating",
    "rating_n": "{n} of 5",
    "your_comment": "Comment (optional)",
    "feedback_email": "The e-mail you registered with (optional: then we count you once)",
    "send_feedback": "Send feedback",
    "feedback_thanks": "Thank you for your feedback.",
    "published_by": "Published by",
    "amount": "Amount",
    "replies_count": "{count} replies",
    "sensitive": "Sensitive content",
    "image": "Image",
    "image_no_alt": "no description",
    "reply_pages": "Pages of replies",
    "earlier_replies": "Earlier replies",
    "later_replies": "Later replies",
    "answer_call": "Answer this call",
    "call_closed": "This call is closed.",
    "answer_fediverse": "On Mastodon or another fediverse app? Reply to this post there: the organization sees your reply.",
    "answer_here": "Or write to the organization here, no account needed. Your message is not published.",
    "your_contact": "How to reach you (e-mail, phone…)",
    "your_message": "Your message",
    "send_answer": "Send",
    "answered_title": "Thank you",
    "answered_text": "Your message reached {org}. They will get back to you.",
    "back_to_call": "Back to the call",
    "error_contact": "Please say how to reach you.",
    "error_message": "Please write a message.",
}
_ES = {
    "skip": "Ir al contenido", "languages": "Idiomas", "when": "Cuándo", "where": "Dónde",
    "online": "En línea", "map": "Mapa", "organizer": "Organiza", "part_of": "Forma parte de",
    "track": "Eje", "speakers": "Con", "room": "Sala", "accessibility": "Accesibilidad",
    "take_part": "Participar", "participants": "{count} participantes",
    "places_left": "Quedan {count} plazas", "full": "El evento está completo.",
    "closed": "La inscripción está cerrada.",
    "register_external": "Inscríbete en el sitio de la organización",
    "no_registration": "No hace falta inscribirse: ven directamente.",
    "invite_only": "Solo con invitación.",
    "fediverse_join": "¿Usas Mobilizon u otra aplicación del fediverso? Busca allí la dirección de esta página y únete.",
    "register_here": "O inscríbete aquí, sin cuenta:", "your_name": "Tu nombre",
    "your_email": "Correo electrónico (opcional, solo lo ve la organización)",
    "register": "Inscribirme", "registered_accepted": "Gracias, ya estás inscrito/a.",
    "registered_pending": "Gracias: la organización confirmará tu inscripción.",
    "approval_needed": "La organización aprueba cada inscripción.", "programme": "Programa",
    "general": "General", "other_dates": "Otras fechas", "repeats": "Se repite",
    "updates": "Novedades", "replies": "Respuestas del fediverso",
    "no_replies": "Todavía no hay respuestas.", "tags": "Etiquetas",
    "moved_to": "Esta cuenta se ha mudado a",
    "upcoming_events": "Próximos eventos", "past_events": "Eventos pasados",
    "calls": "Convocatorias de colaboración", "news": "Noticias", "see_all": "Ver todo",
    "nothing_yet": "Todavía no hay nada.", "previous": "Anterior", "next": "Siguiente",
    "pages": "Páginas", "deadline": "Hasta", "closed_call": "Cerrada", "offer": "Ofrecemos",
    "request": "Buscamos", "website": "Sitio web", "region": "Región",
    "classification": "Clasificación de economía solidaria", "tagged": "Etiqueta #{tag}",
    "published": "Publicado", "status_cancelled": "Cancelado", "status_postponed": "Aplazado",
    "status_rescheduled": "Nueva fecha", "status_movedOnline": "Pasa a ser en línea",
    "status_tentative": "Por confirmar", "error_name": "Escribe tu nombre.",
    "error_email": "No es una dirección de correo.",
    "error_form": "El formulario caducó. Inténtalo de nuevo.",
    "feedback": "¿Qué tal fue?", "rating": "Tu valoración", "rating_n": "{n} de 5",
    "feedback_intro": "El evento terminó. Cuéntale a la organización qué te pareció: solo ella lo leerá.",
    "your_comment": "Comentario (opcional)", "send_feedback": "Enviar",
    "feedback_email": "El correo con el que te inscribiste (opcional: así contamos una vez)",
    "feedback_thanks": "Gracias por tu opinión.", "error_rating": "Elige una valoración de 1 a 5.",
    "published_by": "Publicado por", "amount": "Cantidad", "replies_count": "{count} respuestas",
    "sensitive": "Contenido sensible", "image": "Imagen", "image_no_alt": "sin descripción",
    "reply_pages": "Páginas de respuestas", "earlier_replies": "Respuestas anteriores",
    "later_replies": "Respuestas siguientes", "answer_call": "Responder a esta convocatoria",
    "call_closed": "Esta convocatoria está cerrada.",
    "answer_fediverse": "¿Usas Mastodon u otra aplicación del fediverso? Responde allí a esta publicación: la organización verá tu respuesta.",
    "answer_here": "O escribe aquí a la organización, sin cuenta. Tu mensaje no se publica.",
    "your_contact": "Cómo contactarte (correo, teléfono…)", "your_message": "Tu mensaje",
    "send_answer": "Enviar", "answered_title": "Gracias",
    "answered_text": "Tu mensaje llegó a {org}. Te responderán.",
    "back_to_call": "Volver a la convocatoria", "error_contact": "Indica cómo contactarte.",
    "error_message": "Escribe un mensaje.",
}  # fmt: skip
_FR = {
    "skip": "Aller au contenu", "languages": "Langues", "when": "Quand", "where": "Où",
    "online": "En ligne", "map": "Carte", "organizer": "Organisé par", "part_of": "Fait partie de",
    "track": "Parcours", "speakers": "Avec", "room": "Salle", "accessibility": "Accessibilité",
    "take_part": "Participer", "participants": "{count} participant·es",
    "places_left": "Encore {count} places", "full": "L'événement est complet.",
    "closed": "Les inscriptions sont closes.",
    "register_external": "S'inscrire sur le site de l'organisation",
    "no_registration": "Pas besoin de s'inscrire : venez directement.",
    "invite_only": "Sur invitation seulement.",
    "fediverse_join": "Sur Mobilizon ou une autre application du fédivers ? Cherchez-y l'adresse de cette page pour participer.",
    "register_here": "Ou inscrivez-vous ici, sans compte :", "your_name": "Votre nom",
    "your_email": "Courriel (facultatif, visible seulement par l'organisation)",
    "register": "S'inscrire", "registered_accepted": "Merci, vous êtes inscrit·e.",
    "registered_pending": "Merci : l'organisation confirmera votre inscription.",
    "approval_needed": "L'organisation valide chaque inscription.", "programme": "Programme",
    "general": "Général", "other_dates": "Autres dates", "repeats": "Se répète",
    "updates": "Nouvelles", "replies": "Réponses du fédivers",
    "no_replies": "Pas encore de réponses.", "tags": "Mots-clés",
    "moved_to": "Ce compte a déménagé vers",
    "upcoming_events": "Événements à venir", "past_events": "Événements passés",
    "calls": "Appels à collaboration", "news": "Actualités", "see_all": "Tout voir",
    "nothing_yet": "Rien pour l'instant.", "previous": "Précédent", "next": "Suivant",
    "pages": "Pages", "deadline": "Jusqu'au", "closed_call": "Clos", "offer": "Nous proposons",
    "request": "Nous cherchons", "website": "Site web", "region": "Région",
    "classification": "Classification de l'économie solidaire", "tagged": "Mot-clé #{tag}",
    "published": "Publié", "status_cancelled": "Annulé", "status_postponed": "Reporté",
    "status_rescheduled": "Nouvelle date", "status_movedOnline": "Passe en ligne",
    "status_tentative": "À confirmer", "error_name": "Indiquez votre nom.",
    "error_email": "Ce n'est pas une adresse de courriel.",
    "error_form": "Le formulaire a expiré. Réessayez.",
    "feedback": "Comment c'était ?", "rating": "Votre note", "rating_n": "{n} sur 5",
    "feedback_intro": "L'événement est terminé. Dites aux organisateurs ce que vous en avez pensé : eux seuls le liront.",
    "your_comment": "Commentaire (facultatif)", "send_feedback": "Envoyer",
    "feedback_email": "Le courriel de votre inscription (facultatif : vous êtes compté une fois)",
    "feedback_thanks": "Merci pour votre avis.", "error_rating": "Choisissez une note de 1 à 5.",
    "published_by": "Publié par", "amount": "Quantité", "replies_count": "{count} réponses",
    "sensitive": "Contenu sensible", "image": "Image", "image_no_alt": "sans description",
    "reply_pages": "Pages de réponses", "earlier_replies": "Réponses précédentes",
    "later_replies": "Réponses suivantes", "answer_call": "Répondre à cet appel",
    "call_closed": "Cet appel est clos.",
    "answer_fediverse": "Sur Mastodon ou une autre application du fédivers ? Répondez-y à cette publication : l'organisation verra votre réponse.",
    "answer_here": "Ou écrivez ici à l'organisation, sans compte. Votre message n'est pas publié.",
    "your_contact": "Comment vous joindre (courriel, téléphone…)", "your_message": "Votre message",
    "send_answer": "Envoyer", "answered_title": "Merci",
    "answered_text": "Votre message est bien arrivé à {org}. L'organisation vous répondra.",
    "back_to_call": "Retour à l'appel", "error_contact": "Indiquez comment vous joindre.",
    "error_message": "Écrivez un message.",
}  # fmt: skip
_CATALOG = {"en": _EN, "es": _ES, "fr": _FR}
_DAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "es": ("lun", "mar", "mié", "jue", "vie", "sáb", "dom"),
    "fr": ("lun.", "mar.", "mer.", "jeu.", "ven.", "sam.", "dim."),
}
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "es": ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"),
    "fr": ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.",
           "nov.", "déc."),
}  # fmt: skip


def ui_language(tag: str) -> str:
    """The catalog language for a content language (``es-MX`` -> ``es``; others -> ``en``)."""
    primary = tag.split("-", 1)[0].lower()
    return primary if primary in _CATALOG else "en"


def translator(lang: str) -> dict[str, str]:
    """The strings of ``lang``, English filling any gap."""
    return _EN | _CATALOG.get(ui_language(lang), {})


def native_name(tag: str) -> str:
    """A language's name in itself, for the language switcher."""

    return NATIVE_NAMES.get(tag.split("-", 1)[0].lower(), language_name(tag))


def day(moment: datetime, lang: str) -> str:
    """``Tue 3 Nov 2026`` / ``mar 3 nov 2026`` (our own names: strftime follows the locale)."""
    ui = ui_language(lang)
    weekday, month = _DAYS[ui][moment.weekday()], _MONTHS[ui][moment.month - 1]
    return f"{weekday} {moment.day} {month} {moment.year}"


def when(start: datetime, end: datetime, zone: str, lang: str) -> str:
    """A time range in the event's zone, 24-hour clock, the zone named once (twice across a
    daylight-saving change)."""
    tz = ZoneInfo(zone)
    s, e = start.astimezone(tz), end.astimezone(tz)
    sz, ez = zone_abbreviation(s), zone_abbreviation(e)
    first = f"{s:%H:%M}" + ("" if sz == ez else f" {sz}")
    if s.date() == e.date():
        return f"{day(s, lang)}, {first}\u2013{e:%H:%M} {ez}"
    return f"{day(s, lang)}, {first} \u2013 {day(e, lang)}, {e:%H:%M} {ez}"


def time_range(start: datetime, end: datetime, zone: str) -> str:
    """``10:30-11:30`` (with an en dash) in the zone (the programme's rows; the day is the heading)."""
    tz = ZoneInfo(zone)
    return f"{start.astimezone(tz):%H:%M}\u2013{end.astimezone(tz):%H:%M}"
